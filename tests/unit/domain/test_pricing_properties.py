"""Properties of offer pricing and promotion stacking that must hold for every input."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from loyalty.domain.pricing import PriceLineKind, PricingInput, price_offer
from loyalty.domain.promotions import Promotion, PromotionKind, stack
from loyalty.domain.tiers import Tier
from tests.unit.domain.factories import NOW, STACKING, make_promotion

unit_costs = st.integers(min_value=0, max_value=20_000)
quantities = st.integers(min_value=1, max_value=50)
percents = st.integers(min_value=0, max_value=100)
tiers = st.sampled_from(list(Tier))
tier_tables = st.dictionaries(tiers, percents)


@st.composite
def promotions_st(draw: st.DrawFn, *, active: bool = False) -> Promotion:
    # Most promotions are live; some are expired or not started yet.
    offset = 0 if active else draw(st.sampled_from([0, 0, 0, -3, 3]))
    return make_promotion(
        draw(st.text("abcdefghij", min_size=1, max_size=4)),
        draw(st.integers(1, 100)),
        campaign=draw(st.sampled_from(["c1", "c2", "c3", "c4"])),
        starts_at=NOW + timedelta(days=offset - 1),
        ends_at=NOW + timedelta(days=offset + 1),
    )


promotion_tuples = st.lists(promotions_st(), max_size=6, unique_by=lambda p: p.promotion_id).map(
    tuple
)


@st.composite
def pricing_inputs(draw: st.DrawFn) -> PricingInput:
    return PricingInput(
        reward_id="r-1",
        unit_cost=draw(unit_costs),
        quantity=draw(quantities),
        tier=draw(tiers),
        tier_discount_percent=draw(tier_tables),
        promotions=draw(promotion_tuples),
        priced_at=NOW,
        stacking=STACKING,
    )


def by_ref(data: PricingInput) -> dict[str, Promotion]:
    return {p.ref: p for p in data.promotions}


@given(pricing_inputs())
def test_total_is_int_between_zero_and_base(data: PricingInput) -> None:
    quote = price_offer(data)
    assert isinstance(quote.total, int)
    assert 0 <= quote.total <= quote.base


@given(pricing_inputs())
def test_breakdown_reconciles(data: PricingInput) -> None:
    quote = price_offer(data)
    kinds = [line.kind for line in quote.lines]
    assert kinds[0] is PriceLineKind.BASE and kinds[-1] is PriceLineKind.TOTAL
    assert sum(line.points for line in quote.lines[:-1]) == quote.total
    assert quote.lines[-1].points == quote.total


@given(pricing_inputs())
def test_promotions_never_push_the_discount_past_the_ceiling(data: PricingInput) -> None:
    quote = price_offer(data)
    tier_off = sum(-ln.points for ln in quote.lines if ln.kind is PriceLineKind.TIER_DISCOUNT)
    ceiling = quote.base * STACKING.max_combined_discount_percent // 100
    if quote.applied_promotion_ids:
        assert quote.discount <= max(ceiling, tier_off)
        assert quote.discount <= ceiling
    # The tier discount is kept intact whatever the promotions.
    no_promos = price_offer(dataclasses.replace(data, promotions=()))
    assert tier_off == no_promos.discount


@given(pricing_inputs())
def test_at_most_n_stack_one_per_campaign_all_live(data: PricingInput) -> None:
    quote = price_offer(data)
    applied = [by_ref(data)[ref] for ref in quote.applied_promotion_ids]
    assert len(applied) <= STACKING.max_stacked
    assert len({p.campaign for p in applied}) == len(applied)
    assert all(p.is_active_at(NOW) for p in applied)


@given(promotion_tuples)
def test_stack_keeps_the_largest_benefit(promotions: tuple[Promotion, ...]) -> None:
    live = [p for p in promotions if p.is_active_at(NOW)]
    kept = stack(live, max_stacked=STACKING.max_stacked, benefit=lambda p: p.percent)
    # Every promotion left out is beaten by a kept one of its campaign, or the stack is full
    # of promotions at least as large.
    for p in live:
        if p in kept:
            continue
        same = [k for k in kept if k.campaign == p.campaign]
        if same:
            assert same[0].percent >= p.percent
        else:
            assert len(kept) == STACKING.max_stacked
            assert all(k.percent >= p.percent for k in kept)


@given(pricing_inputs(), st.randoms(use_true_random=False))
def test_promotion_order_does_not_matter(data: PricingInput, rnd: object) -> None:
    shuffled = list(data.promotions)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert price_offer(data) == price_offer(dataclasses.replace(data, promotions=tuple(shuffled)))


@given(pricing_inputs(), promotions_st())
def test_inactive_promotion_changes_nothing(data: PricingInput, extra: Promotion) -> None:
    if extra.is_active_at(NOW) or extra.ref in by_ref(data):
        return
    with_extra = dataclasses.replace(data, promotions=(*data.promotions, extra))
    assert price_offer(with_extra) == price_offer(data)


@given(pricing_inputs(), promotions_st(active=True))
def test_adding_a_live_promotion_never_raises_the_total(
    data: PricingInput, extra: Promotion
) -> None:
    if extra.ref in by_ref(data):
        return
    with_extra = dataclasses.replace(data, promotions=(*data.promotions, extra))
    assert price_offer(with_extra).total <= price_offer(data).total


@given(unit_costs, quantities, tiers)
def test_without_discounts_total_is_exactly_base(unit_cost: int, quantity: int, tier: Tier) -> None:
    data = PricingInput(
        reward_id="r-1",
        unit_cost=unit_cost,
        quantity=quantity,
        tier=tier,
        tier_discount_percent={},
        promotions=(make_promotion("bonus", "2", kind=PromotionKind.EARN_BONUS_MULTIPLIER),),
        priced_at=NOW,
        stacking=STACKING,
    )
    assert price_offer(data).total == unit_cost * quantity

"""Properties of offer pricing that must hold for every input."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from loyalty.domain.pricing import PriceLineKind, PricingInput, price_offer
from loyalty.domain.promotions import Promotion, PromotionKind
from loyalty.domain.tiers import Tier
from tests.unit.domain.factories import NOW, make_promotion

unit_costs = st.integers(min_value=0, max_value=20_000)
quantities = st.integers(min_value=1, max_value=50)
percents = st.integers(min_value=0, max_value=100)
tiers = st.sampled_from(list(Tier))
tier_tables = st.dictionaries(tiers, percents)
ALL_KINDS = tuple(PromotionKind)


@st.composite
def promotions_st(
    draw: st.DrawFn,
    *,
    kinds: tuple[PromotionKind, ...] = ALL_KINDS,
    active: bool = False,
) -> Promotion:
    kind = draw(st.sampled_from(kinds))
    value = draw(
        st.integers(1, 100) if kind is PromotionKind.PERCENT_OFF else st.integers(1, 50_000)
    )
    # Most promotions are live; some are expired or not started yet.
    offset = 0 if active else draw(st.sampled_from([0, 0, 0, -3, 3]))
    return make_promotion(
        draw(st.text("abcdefghij", min_size=1, max_size=4)),
        kind,
        value,
        stackable=draw(st.booleans()),
        starts_at=NOW + timedelta(days=offset - 1),
        ends_at=NOW + timedelta(days=offset + 1),
    )


def promotion_tuples(
    kinds: tuple[PromotionKind, ...] = ALL_KINDS,
) -> st.SearchStrategy[tuple[Promotion, ...]]:
    return st.lists(promotions_st(kinds=kinds), max_size=6, unique_by=lambda p: p.promotion_id).map(
        tuple
    )


@st.composite
def pricing_inputs(
    draw: st.DrawFn, /, kinds: tuple[PromotionKind, ...] = ALL_KINDS
) -> PricingInput:
    return PricingInput(
        reward_id="r-1",
        unit_cost=draw(unit_costs),
        quantity=draw(quantities),
        tier=draw(tiers),
        tier_discount_percent=draw(tier_tables),
        promotions=draw(promotion_tuples(kinds)),
        priced_at=NOW,
    )


def total(data: PricingInput, **changes: object) -> int:
    quote = price_offer(dataclasses.replace(data, **changes))  # type: ignore[arg-type]
    return quote.total


@given(pricing_inputs())
def test_total_is_int_between_zero_and_base(data: PricingInput) -> None:
    quote = price_offer(data)
    assert type(quote.total) is int
    assert quote.base == data.unit_cost * data.quantity
    assert 0 <= quote.total <= quote.base


@given(pricing_inputs())
def test_breakdown_reconciles(data: PricingInput) -> None:
    quote = price_offer(data)
    first, *middle, last = quote.lines
    assert (first.kind, first.points) == (PriceLineKind.BASE, quote.base)
    assert (last.kind, last.points) == (PriceLineKind.TOTAL, quote.total)
    assert all(line.points <= 0 for line in middle)
    assert first.points + sum(line.points for line in middle) == quote.total
    assert all(type(line.points) is int for line in quote.lines)


@given(pricing_inputs())
def test_applied_promotions_are_live_and_follow_the_stacking_rule(data: PricingInput) -> None:
    quote = price_offer(data)
    by_id = {p.promotion_id: p for p in data.promotions}
    applied = [by_id[pid] for pid in quote.applied_promotion_ids]
    assert all(p.is_active_at(NOW) for p in applied)
    # Either a set of stackables only, or exactly one non-stackable.
    non_stackable = [p for p in applied if not p.stackable]
    assert not non_stackable or applied == non_stackable == applied[:1]
    promo_line_ids = [
        line.source_id for line in quote.lines if line.kind is PriceLineKind.PROMOTION
    ]
    assert promo_line_ids == list(quote.applied_promotion_ids)


@given(pricing_inputs())
def test_quote_is_at_least_as_good_as_every_allowed_candidate(data: PricingInput) -> None:
    live = [p for p in data.promotions if p.is_active_at(NOW)]
    stack = tuple(p for p in live if p.stackable)
    candidates = [stack] + [(p,) for p in live if not p.stackable]
    best = min(total(data, promotions=c) for c in candidates)
    assert price_offer(data).total == best


@given(pricing_inputs(), promotions_st(active=True))
def test_adding_a_stackable_promotion_never_raises_the_total(
    data: PricingInput, extra: Promotion
) -> None:
    extra = dataclasses.replace(extra, promotion_id="extra", stackable=True)
    assert total(data, promotions=(*data.promotions, extra)) <= price_offer(data).total


@given(pricing_inputs(), promotions_st(active=True))
def test_adding_any_live_promotion_never_raises_the_total(
    data: PricingInput, extra: Promotion
) -> None:
    # A new non-stackable is just one more candidate; the best can only improve.
    extra = dataclasses.replace(extra, promotion_id="extra")
    assert total(data, promotions=(*data.promotions, extra)) <= price_offer(data).total


@given(pricing_inputs(), promotions_st())
def test_inactive_promotion_changes_nothing(data: PricingInput, extra: Promotion) -> None:
    expired = dataclasses.replace(
        extra, promotion_id="expired", starts_at=NOW - timedelta(days=9), ends_at=NOW
    )
    assert price_offer(dataclasses.replace(data, promotions=(*data.promotions, expired))) == (
        price_offer(data)
    )


@given(pricing_inputs(), st.randoms(use_true_random=False))
def test_promotion_order_does_not_matter(data: PricingInput, rnd: object) -> None:
    shuffled = list(data.promotions)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert price_offer(dataclasses.replace(data, promotions=tuple(shuffled))) == price_offer(data)


@given(pricing_inputs(), percents, percents)
def test_larger_tier_discount_never_raises_total(data: PricingInput, a: int, b: int) -> None:
    low, high = sorted((a, b))
    at_low = total(data, tier_discount_percent={data.tier: low})
    at_high = total(data, tier_discount_percent={data.tier: high})
    assert at_high <= at_low


@given(pricing_inputs(), st.integers(1, 20))
def test_more_quantity_never_costs_less(data: PricingInput, extra: int) -> None:
    assert total(data, quantity=data.quantity + extra) >= price_offer(data).total


@given(pricing_inputs(kinds=(PromotionKind.PERCENT_OFF,)), st.integers(2, 5))
def test_percent_only_pricing_is_subadditive_in_quantity(data: PricingInput, k: int) -> None:
    # k times the quantity costs at most k times as much (rounding down the
    # discount can only cost the member whole points it would pay anyway), and
    # at least as much as a single batch.
    single = price_offer(data).total
    scaled = total(data, quantity=data.quantity * k)
    assert single <= scaled <= k * single


@given(unit_costs, quantities, tiers)
def test_without_discounts_total_is_exactly_base(unit_cost: int, quantity: int, tier: Tier) -> None:
    data = PricingInput(
        reward_id="r",
        unit_cost=unit_cost,
        quantity=quantity,
        tier=tier,
        tier_discount_percent={},
        promotions=(),
        priced_at=NOW,
    )
    assert price_offer(data).total == unit_cost * quantity


@given(unit_costs, quantities, percents)
def test_single_percent_matches_ceiling_of_remaining_share(
    unit_cost: int, quantity: int, percent: int
) -> None:
    # Independent oracle: the member pays ceil(base * (100 - p) / 100).
    base = unit_cost * quantity
    data = PricingInput(
        reward_id="r",
        unit_cost=unit_cost,
        quantity=quantity,
        tier=Tier.GOLD,
        tier_discount_percent={Tier.GOLD: percent},
        promotions=(),
        priced_at=NOW,
    )
    assert price_offer(data).total == -(-base * (100 - percent) // 100)

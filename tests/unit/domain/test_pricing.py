"""Offer pricing examples: base, tier discount, promotion rules, rounding, floor at zero."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from loyalty.domain.pricing import PriceLineKind, PriceQuote, price_offer
from loyalty.domain.promotions import PromotionKind, PromotionScope
from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError
from tests.unit.domain.factories import (
    NOW,
    STACKING,
    make_pricing_input,
    make_promotion,
    percent_off,
)


def signed_lines(quote: PriceQuote) -> list[tuple[str, str, int]]:
    return [(line.kind.value, line.source_id, line.points) for line in quote.lines]


def test_base_only() -> None:
    quote = price_offer(make_pricing_input(unit_cost=250, quantity=3))
    assert quote.base == 750
    assert quote.total == 750
    assert signed_lines(quote) == [("base", "r-1", 750), ("total", "r-1", 750)]
    assert quote.applied_promotion_ids == ()


def test_tier_discount() -> None:
    quote = price_offer(
        make_pricing_input(
            unit_cost=250,
            quantity=3,
            tier=Tier.GOLD,
            tier_discount_percent={Tier.SILVER: 5, Tier.GOLD: 10},
        )
    )
    # 10 % of 750 = 75.
    assert quote.total == 675
    assert signed_lines(quote)[1] == ("tier_discount", "tier:gold", -75)


def test_percent_discount_rounds_down_so_member_pays_rounded_up() -> None:
    # 10 % of 999 is 99.9: the discount is 99, the member pays 900 (not 899).
    quote = price_offer(
        make_pricing_input(
            unit_cost=999,
            tier=Tier.GOLD,
            tier_discount_percent={Tier.GOLD: 10},
        )
    )
    assert quote.total == 900


@pytest.mark.parametrize("table", [{}, {Tier.GOLD: 0}, {Tier.PLATINUM: 20}])
def test_no_tier_line_when_tier_has_no_discount(table: dict[Tier, int]) -> None:
    quote = price_offer(make_pricing_input(tier=Tier.GOLD, tier_discount_percent=table))
    assert quote.total == 1_000
    assert [line.kind for line in quote.lines] == [PriceLineKind.BASE, PriceLineKind.TOTAL]


def test_promotion_takes_its_percent_of_list_price_and_names_its_version() -> None:
    quote = price_offer(make_pricing_input(promotions=(make_promotion("p", 10, version=3),)))
    assert quote.total == 900
    assert signed_lines(quote)[1] == ("promotion", "p@3", -100)
    assert quote.applied_promotion_ids == ("p@3",)


def test_only_the_largest_benefits_stack() -> None:
    # Three eligible (5, 10, 8 %): the two largest are kept, at most max_stacked.
    promos = (percent_off("a", 5), percent_off("b", 10), percent_off("c", 8))
    quote = price_offer(make_pricing_input(promotions=promos))
    assert STACKING.max_stacked == 2
    assert quote.applied_promotion_ids == ("b@1", "c@1")
    assert quote.total == 820


def test_two_promotions_of_one_campaign_never_combine() -> None:
    promos = (
        percent_off("a", 10, campaign="spring"),
        percent_off("b", 8, campaign="spring"),
        percent_off("c", 5),
    )
    quote = price_offer(make_pricing_input(promotions=promos))
    assert quote.applied_promotion_ids == ("a@1", "c@1")


def test_combined_ceiling_trims_promotions_first_and_keeps_the_tier_discount() -> None:
    # Gold 10 % + 15 % + 12 % = 37 % > 30 %: the smaller promotion is trimmed to 5 %.
    quote = price_offer(
        make_pricing_input(
            tier=Tier.GOLD,
            tier_discount_percent={Tier.GOLD: 10},
            promotions=(percent_off("a", 15), percent_off("b", 12)),
        )
    )
    assert STACKING.max_combined_discount_percent == 30
    assert signed_lines(quote)[1:4] == [
        ("tier_discount", "tier:gold", -100),
        ("promotion", "a@1", -150),
        ("promotion", "b@1", -50),
    ]
    assert quote.total == 700


def test_a_promotion_trimmed_to_nothing_is_not_applied() -> None:
    quote = price_offer(
        make_pricing_input(
            tier=Tier.GOLD,
            tier_discount_percent={Tier.GOLD: 10},
            promotions=(percent_off("a", 20), percent_off("b", 10)),
        )
    )
    assert quote.applied_promotion_ids == ("a@1",)
    assert quote.total == 700


def test_scope_by_reward_category_and_tier() -> None:
    only_r2 = make_promotion("r2", 10, scope=PromotionScope(reward_ids=frozenset({"r-2"})))
    books = make_promotion("books", 10, scope=PromotionScope(categories=frozenset({"books"})))
    gold = make_promotion("gold", 10, scope=PromotionScope(tiers=frozenset({Tier.GOLD})))
    data = make_pricing_input(promotions=(only_r2, books, gold))
    assert price_offer(data).applied_promotion_ids == ()
    assert price_offer(dataclasses.replace(data, category="books")).applied_promotion_ids == (
        "books@1",
    )
    assert price_offer(dataclasses.replace(data, tier=Tier.GOLD)).applied_promotion_ids == (
        "gold@1",
    )


def test_coded_promotion_applies_only_with_its_code() -> None:
    coded = make_promotion("c", 10, promo_code="WELCOME10")
    assert price_offer(make_pricing_input(promotions=(coded,))).total == 1_000
    assert price_offer(make_pricing_input(promotions=(coded,), promo_code="welcome10")).total == 900


def test_earning_bonus_never_discounts_a_price() -> None:
    bonus = make_promotion("x", "1.5", kind=PromotionKind.EARN_BONUS_MULTIPLIER)
    assert price_offer(make_pricing_input(promotions=(bonus,))).total == 1_000


@pytest.mark.parametrize(
    ("start", "end", "applies"),
    [
        (NOW, NOW + timedelta(days=1), True),
        (NOW - timedelta(days=1), NOW, False),
        (NOW + timedelta(seconds=1), NOW + timedelta(days=1), False),
    ],
)
def test_validity_window(start: datetime, end: datetime, applies: bool) -> None:
    promo = make_promotion("p", 10, starts_at=start, ends_at=end)
    quote = price_offer(make_pricing_input(promotions=(promo,)))
    assert (quote.applied_promotion_ids == ("p@1",)) is applies


def test_free_reward() -> None:
    quote = price_offer(
        make_pricing_input(unit_cost=0, quantity=4, promotions=(percent_off("A", 50),))
    )
    assert (quote.base, quote.total, quote.discount) == (0, 0, 0)


def test_discount_property() -> None:
    quote = price_offer(make_pricing_input(promotions=(percent_off("A", 12),)))
    assert quote.discount == 120


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quantity": 0},
        {"unit_cost": -1},
        {"tier_discount_percent": {Tier.GOLD: 101}},
        {"priced_at": NOW.replace(tzinfo=None)},
        {"promotions": (percent_off("A", 1), percent_off("A", 5))},  # duplicate version
    ],
)
def test_invalid_pricing_input(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_pricing_input(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (PromotionKind.REDEEM_DISCOUNT_PERCENT, "0"),
        (PromotionKind.REDEEM_DISCOUNT_PERCENT, "101"),
        (PromotionKind.REDEEM_DISCOUNT_PERCENT, "2.5"),
        (PromotionKind.EARN_BONUS_MULTIPLIER, "0"),
    ],
)
def test_invalid_promotion_value(kind: PromotionKind, value: str) -> None:
    with pytest.raises(ValidationError):
        make_promotion("p", value, kind=kind)


def test_invalid_promotion_window() -> None:
    with pytest.raises(ValidationError):
        make_promotion("p", 10, starts_at=NOW, ends_at=NOW)

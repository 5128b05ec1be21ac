"""Offer pricing examples: base, tier discount, promotion rules, rounding, floor at zero."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loyalty.domain.pricing import PriceLineKind, PriceQuote, price_offer
from loyalty.domain.promotions import Promotion, PromotionKind
from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError
from tests.unit.domain.factories import (
    NOW,
    make_pricing_input,
    make_promotion,
    percent_off,
    points_off,
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


def test_stackable_promotions_compound_percent_then_points() -> None:
    promos = (points_off("C", 50), percent_off("B", 20), percent_off("A", 10))
    quote = price_offer(make_pricing_input(promotions=promos))
    # A: 10 % of 1000 = 100 -> 900; B: 20 % of 900 = 180 -> 720; C: 50 -> 670.
    assert signed_lines(quote)[1:] == [
        ("promotion", "A", -100),
        ("promotion", "B", -180),
        ("promotion", "C", -50),
        ("total", "r-1", 670),
    ]
    assert quote.applied_promotion_ids == ("A", "B", "C")


def test_percent_applies_before_points_even_when_id_sorts_later() -> None:
    # Percent first: 1000 - 100 = 900, then - 100 = 800. Points first would give 810.
    quote = price_offer(make_pricing_input(promotions=(points_off("A", 100), percent_off("Z", 10))))
    assert quote.total == 800
    assert quote.applied_promotion_ids == ("Z", "A")


def test_better_non_stackable_replaces_the_stack() -> None:
    promos = (percent_off("S10", 10), percent_off("N15", 15, stackable=False))
    quote = price_offer(make_pricing_input(promotions=promos))
    assert quote.total == 850  # 15 % beats 10 %
    assert quote.applied_promotion_ids == ("N15",)


def test_stack_beats_a_weaker_non_stackable() -> None:
    promos = (percent_off("S10", 10), percent_off("S5", 5), percent_off("N12", 12, stackable=False))
    quote = price_offer(make_pricing_input(promotions=promos))
    # Stack: 1000 -> 900 (S10) -> 855 (S5: 5 % of 900 = 45); N12 alone gives 880.
    assert quote.total == 855
    assert quote.applied_promotion_ids == ("S10", "S5")


def test_tie_between_stack_and_non_stackable_keeps_the_stack() -> None:
    promos = (percent_off("S", 10), points_off("N", 100, stackable=False))
    quote = price_offer(make_pricing_input(promotions=promos))
    assert quote.total == 900
    assert quote.applied_promotion_ids == ("S",)


def test_only_best_non_stackable_applies_and_ties_go_to_lowest_id() -> None:
    promos = (
        points_off("N-b", 200, stackable=False),
        percent_off("N-a", 20, stackable=False),
        percent_off("N-c", 5, stackable=False),
    )
    quote = price_offer(make_pricing_input(promotions=promos))
    assert quote.total == 800
    assert quote.applied_promotion_ids == ("N-a",)


def test_lone_non_stackable_applies() -> None:
    quote = price_offer(make_pricing_input(promotions=(points_off("N", 1, stackable=False),)))
    assert quote.total == 999
    assert quote.applied_promotion_ids == ("N",)


def test_choice_is_made_on_the_amount_after_tier_discount() -> None:
    # After gold 10 %: 900. Stack 10 % gives 90 off; non-stackable 100 points off wins.
    promos = (percent_off("S", 10), points_off("N", 100, stackable=False))
    quote = price_offer(
        make_pricing_input(
            tier=Tier.GOLD,
            tier_discount_percent={Tier.GOLD: 10},
            promotions=promos,
        )
    )
    assert quote.total == 800
    assert quote.applied_promotion_ids == ("N",)


@pytest.mark.parametrize(
    ("start", "end", "applies"),
    [
        (NOW, NOW + timedelta(hours=1), True),  # starts exactly now: inclusive
        (NOW - timedelta(hours=1), NOW, False),  # ends exactly now: exclusive
        (NOW + timedelta(seconds=1), NOW + timedelta(hours=1), False),  # not yet
        (NOW - timedelta(days=2), NOW - timedelta(days=1), False),  # expired
    ],
)
def test_validity_window(start: object, end: object, applies: bool) -> None:
    promo = make_promotion("P", PromotionKind.POINTS_OFF, 100, starts_at=start, ends_at=end)  # type: ignore[arg-type]
    quote = price_offer(make_pricing_input(promotions=(promo,)))
    assert quote.total == (900 if applies else 1_000)
    assert quote.applied_promotion_ids == (("P",) if applies else ())


def test_total_never_below_zero() -> None:
    quote = price_offer(make_pricing_input(promotions=(points_off("BIG", 5_000),)))
    assert quote.total == 0
    # The line is cut to what was left, so the breakdown still reconciles.
    assert signed_lines(quote)[1] == ("promotion", "BIG", -1_000)


def test_hundred_percent_then_points_gives_zero_and_zero_point_line() -> None:
    quote = price_offer(make_pricing_input(promotions=(percent_off("A", 100), points_off("B", 10))))
    assert quote.total == 0
    assert signed_lines(quote)[1:3] == [("promotion", "A", -1_000), ("promotion", "B", 0)]


def test_free_reward() -> None:
    quote = price_offer(
        make_pricing_input(unit_cost=0, quantity=4, promotions=(percent_off("A", 50),))
    )
    assert (quote.base, quote.total, quote.discount) == (0, 0, 0)


def test_discount_property() -> None:
    quote = price_offer(make_pricing_input(promotions=(points_off("A", 123),)))
    assert quote.discount == 123


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quantity": 0},
        {"unit_cost": -1},
        {"tier_discount_percent": {Tier.GOLD: 101}},
        {"priced_at": NOW.replace(tzinfo=None)},
        {"promotions": (points_off("A", 1), percent_off("A", 5))},  # duplicate id
    ],
)
def test_invalid_pricing_input(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_pricing_input(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (PromotionKind.PERCENT_OFF, 0),
        (PromotionKind.PERCENT_OFF, 101),
        (PromotionKind.POINTS_OFF, 0),
    ],
)
def test_invalid_promotion_value(kind: PromotionKind, value: int) -> None:
    with pytest.raises(ValidationError):
        make_promotion("P", kind, value)


def test_invalid_promotion_window() -> None:
    with pytest.raises(ValidationError, match="ends_at"):
        make_promotion("P", PromotionKind.POINTS_OFF, 1, starts_at=NOW, ends_at=NOW)
    with pytest.raises(ValidationError, match="timezone"):
        Promotion(
            promotion_id="P",
            kind=PromotionKind.POINTS_OFF,
            value=1,
            starts_at=NOW.replace(tzinfo=None),
            ends_at=NOW.replace(tzinfo=None),
            stackable=True,
        )

"""Points earned on a purchase and taken back by returns, with the numbers of the policies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty.domain.earning import CAPPED_MULTIPLIER, CAPPED_POINTS, earn, points_to_take_back
from loyalty.domain.promotions import PromotionKind, PromotionScope, bonus_multipliers
from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError
from loyalty.policies.book import PolicyBook
from tests.support.policies import POLICIES
from tests.unit.domain.factories import NOW, make_promotion

RULES = PolicyBook(POLICIES).earning_rules()


def test_rules_come_from_the_policies_in_force() -> None:
    assert RULES.base_points_per_currency_unit == 1
    assert RULES.tier_multipliers[Tier.SILVER] == Decimal("1.25")
    assert (RULES.max_bonus_multiplier, RULES.max_points_per_purchase) == (Decimal("3.0"), 50_000)
    assert RULES.pending_period_days == 14


def test_whole_currency_units_times_the_tier_multiplier_rounded_down() -> None:
    earned = earn(Decimal("99.99"), tier=Tier.SILVER, rules=RULES)

    assert (earned.base_points, earned.multiplier, earned.points) == (99, Decimal("1.25"), 123)
    assert earned.capped_by == ()


def test_promotion_bonuses_add_to_the_tier_and_the_total_is_capped() -> None:
    earned = earn(Decimal(100), tier=Tier.PLATINUM, rules=RULES, promotion_bonuses=[Decimal("1.5")])

    assert (earned.multiplier, earned.points, earned.capped_by) == (
        Decimal("3.0"),
        300,
        (CAPPED_MULTIPLIER,),
    )


def test_one_purchase_earns_at_most_the_policy_maximum() -> None:
    earned = earn(Decimal(40_000), tier=Tier.PLATINUM, rules=RULES)

    assert (earned.points, earned.capped_by) == (50_000, (CAPPED_POINTS,))
    # What it would have earned: the fraud team reads it (platinum earns 2x).
    assert earned.points_before_cap == int(40_000 * RULES.tier_multipliers[Tier.PLATINUM])


def test_partial_returns_take_back_exactly_what_the_order_earned() -> None:
    amount, points = Decimal("100.00"), 125
    parts = [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    taken, before = [], Decimal(0)
    for part in parts:
        taken.append(
            points_to_take_back(
                points=points, amount=amount, returned_before=before, returned_now=part
            )
        )
        before += part

    assert taken == [41, 42, 42]
    assert sum(taken) == points


def test_a_return_beyond_the_order_is_refused() -> None:
    with pytest.raises(ValidationError, match="exceeds"):
        points_to_take_back(
            points=10, amount=Decimal(10), returned_before=Decimal(6), returned_now=Decimal(5)
        )


def test_bonus_promotions_stack_by_the_promotion_policy_then_the_total_is_capped() -> None:
    stacking = PolicyBook(POLICIES).stacking_rules()
    bonus = PromotionKind.EARN_BONUS_MULTIPLIER
    live = (
        make_promotion("a", "0.5", kind=bonus, campaign="spring"),
        make_promotion("b", "0.25", kind=bonus, campaign="spring"),  # same campaign as a
        make_promotion("c", "0.25", kind=bonus),
        make_promotion("d", "0.1", kind=bonus),  # beyond max_stacked
        make_promotion("gold", "1", kind=bonus, scope=PromotionScope(tiers=frozenset({Tier.GOLD}))),
        make_promotion("discount", "20"),  # a redemption discount, not an earning bonus
    )
    chosen = bonus_multipliers(live, at=NOW, tier=Tier.BRONZE, rules=stacking)
    assert [p.ref for p in chosen] == ["a@1", "c@1"]

    earned = earn(
        Decimal(100), tier=Tier.BRONZE, rules=RULES, promotion_bonuses=[p.value for p in chosen]
    )
    assert (earned.multiplier, earned.points) == (Decimal("1.75"), 175)

    gold = bonus_multipliers(live, at=NOW, tier=Tier.GOLD, rules=stacking)
    assert [p.ref for p in gold] == ["gold@1", "a@1"]
    capped = earn(
        Decimal(100), tier=Tier.PLATINUM, rules=RULES, promotion_bonuses=[p.value for p in gold]
    )
    assert (capped.multiplier, capped.capped_by) == (
        stacking.max_bonus_multiplier,
        (CAPPED_MULTIPLIER,),
    )

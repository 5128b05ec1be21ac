"""POL-REDEMPTION-001's limits in points and POL-FRAUD-001's review triggers, and where the
decision applies them: after the price, before the balance; reviews after both."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from loyalty.domain.eligibility import RedemptionLimits
from loyalty.domain.limits import (
    PointLimits,
    ReviewTriggers,
    Spend,
    SpendCeiling,
    ceiling_reasons,
    limit_reasons,
    review_reasons,
)
from loyalty.domain.redemption import (
    Outcome,
    RedemptionFacts,
    RedemptionHistory,
    RedemptionRules,
    decide_redemption,
)
from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError
from tests.unit.domain.factories import NOW, STACKING, make_member, make_reward, make_thresholds

BY_TIER = {Tier.BRONZE: 1, Tier.SILVER: 2, Tier.GOLD: 4, Tier.PLATINUM: 8}
LIMITS = PointLimits(
    min_points=500,
    increment_points=100,
    max_points={tier: 25_000 * n for tier, n in BY_TIER.items()},
    daily_points={tier: 50_000 * n for tier, n in BY_TIER.items()},
    monthly_points={tier: 150_000 * n for tier, n in BY_TIER.items()},
)
TRIGGERS = ReviewTriggers(
    above_points=50_000, new_account_days=30, new_account_above_points=10_000, max_in_24h=5
)


def spend(**overrides: Any) -> Spend:
    fields: dict[str, Any] = {
        "tier": Tier.BRONZE,
        "size": 1_000,
        "price": 1_000,
        "spent_today": 0,
        "spent_this_month": 0,
    }
    return Spend(**(fields | overrides))


def codes(value: Spend) -> list[str]:
    return [str(reason.code) for reason in limit_reasons(value, LIMITS)]


@pytest.mark.parametrize(("size", "ok"), [(400, False), (499, False), (500, True), (600, True)])
def test_a_redemption_must_reach_the_minimum(size: int, ok: bool) -> None:
    assert ("below_minimum" not in codes(spend(size=size, price=size))) is ok


@pytest.mark.parametrize(("size", "ok"), [(550, False), (1_050, False), (1_100, True)])
def test_a_redemption_is_a_whole_multiple_of_the_increment(size: int, ok: bool) -> None:
    assert ("not_an_increment" not in codes(spend(size=size, price=size))) is ok


def test_size_is_the_list_value_so_a_discount_never_breaks_the_increment() -> None:
    """A gold member pays 950 for a 1,000-point reward: the size (1,000) is what is checked."""
    assert codes(spend(tier=Tier.GOLD, size=1_000, price=950)) == []


@pytest.mark.parametrize(
    ("tier", "price", "ok"),
    [
        (Tier.BRONZE, 25_000, True),
        (Tier.BRONZE, 25_100, False),
        (Tier.SILVER, 50_000, True),
        (Tier.SILVER, 50_100, False),
        (Tier.PLATINUM, 200_000, True),
    ],
)
def test_the_tier_maximum_applies_to_what_the_member_pays(tier: Tier, price: int, ok: bool) -> None:
    got = codes(spend(tier=tier, size=price, price=price, spent_today=0))
    assert ("above_tier_maximum" not in got) is ok


@pytest.mark.parametrize(("spent", "ok"), [(49_000, True), (49_001, False)])
def test_the_daily_ceiling_counts_what_was_redeemed_today(spent: int, ok: bool) -> None:
    assert ("daily_points_limit" not in codes(spend(spent_today=spent))) is ok


@pytest.mark.parametrize(("spent", "ok"), [(149_000, True), (149_001, False)])
def test_the_monthly_ceiling_counts_what_was_redeemed_this_month(spent: int, ok: bool) -> None:
    assert ("monthly_points_limit" not in codes(spend(spent_this_month=spent))) is ok


def test_every_broken_limit_is_reported_in_order() -> None:
    broken = spend(size=30_050, price=30_050, spent_today=40_000, spent_this_month=140_000)
    assert codes(broken) == [
        "not_an_increment",
        "above_tier_maximum",
        "daily_points_limit",
        "monthly_points_limit",
    ]


def test_ceiling_reasons_name_the_ceiling_and_what_was_spent() -> None:
    (reason,) = ceiling_reasons(
        600, spent_today=0, spent_this_month=900, ceiling=SpendCeiling(daily=1_000, monthly=1_000)
    )
    assert reason.code == "monthly_points_limit"
    assert "1000" in reason.message and "900 redeemed this month" in reason.message


def test_every_tier_needs_its_limits() -> None:
    with pytest.raises(ValidationError, match="daily_redemption_limit"):
        PointLimits(
            min_points=500,
            increment_points=100,
            max_points=LIMITS.max_points,
            daily_points={Tier.BRONZE: 1},
            monthly_points=LIMITS.monthly_points,
        )


@pytest.mark.parametrize(
    ("size", "age", "reviewed"),
    [
        (50_000, 400, False),
        (50_100, 400, True),
        (10_000, 29, False),
        (10_100, 29, True),
        (10_100, 30, False),
    ],
)
def test_size_sends_a_redemption_to_review(size: int, age: int, reviewed: bool) -> None:
    got = review_reasons(size, account_age_days=age, in_last_24h=0, triggers=TRIGGERS)
    assert bool(got) is reviewed


@pytest.mark.parametrize(("recent", "reviewed"), [(4, False), (5, True), (9, True)])
def test_the_sixth_redemption_in_24_hours_is_reviewed(recent: int, reviewed: bool) -> None:
    got = review_reasons(1_000, account_age_days=400, in_last_24h=recent, triggers=TRIGGERS)
    assert bool(got) is reviewed


# -- where the decision applies them ---------------------------------------------------------

RULES = RedemptionRules(
    limits=RedemptionLimits(per_day=5),
    fraud=make_thresholds(review_score=1_000, deny_score=2_000),  # the score never decides here
    tier_discount_percent={},
    points=LIMITS,
    review=TRIGGERS,
    review_timeout_s=48 * 3600.0,
    stacking=STACKING,
)


def facts(*, cost: int, available: int, joined: int = 400, **history: int) -> RedemptionFacts:
    counts = {
        "today": 0,
        "this_month": 0,
        "last_hour": 0,
        "last_day": 0,
        "spent_today": 0,
        "spent_this_month": 0,
    }
    return RedemptionFacts(
        member=make_member(tier=Tier.BRONZE),
        joined_on=NOW.date() - dt.timedelta(days=joined),
        reward=make_reward(minimum_tier=Tier.BRONZE),
        unit_cost=cost,
        quantity=1,
        channel="app",
        device_id="device-1",
        available=available,
        held=0,
        history=RedemptionHistory(
            completed_count=0,
            completed_points=0,
            completed_max_points=0,
            known_channels=frozenset({"app"}),
            known_devices=frozenset({"device-1"}),
            **(counts | history),
        ),
    )


def test_a_limit_refuses_before_the_balance_is_looked_at() -> None:
    decision = decide_redemption(facts(cost=30_000, available=10), RULES, now=NOW)
    assert decision.outcome is Outcome.REJECT
    assert decision.reasons == (
        "30000 points is above the bronze maximum of 25000 for one redemption",
    )


def test_the_daily_ceiling_refuses_with_what_was_spent() -> None:
    decision = decide_redemption(
        facts(cost=20_000, available=100_000, spent_today=40_000), RULES, now=NOW
    )
    assert decision.outcome is Outcome.REJECT
    assert "40000 redeemed today" in decision.reasons[0]


def test_a_member_who_cannot_pay_is_refused_before_a_size_review() -> None:
    decision = decide_redemption(facts(cost=20_000, available=5_000, joined=3), RULES, now=NOW)
    assert decision.outcome is Outcome.REJECT
    assert decision.reasons[0].startswith("insufficient points")


def test_a_young_account_over_the_review_size_waits_for_a_person() -> None:
    decision = decide_redemption(facts(cost=12_000, available=50_000, joined=3), RULES, now=NOW)
    assert decision.outcome is Outcome.REVIEW
    # the signals the score saw come first, for the reviewer; the trigger is what sent it
    assert decision.reasons[-1] == (
        "12000 points is above the review size of 10000 for an account younger than 30 days"
    )


def test_the_sixth_in_24_hours_waits_for_a_person() -> None:
    decision = decide_redemption(facts(cost=1_000, available=50_000, last_day=5), RULES, now=NOW)
    assert decision.outcome is Outcome.REVIEW
    assert "5 redemptions in the last 24 hours" in decision.reasons[0]


def test_within_every_limit_it_proceeds() -> None:
    decision = decide_redemption(facts(cost=1_000, available=50_000), RULES, now=NOW)
    assert (decision.outcome, decision.reasons) == (Outcome.PROCEED, ())

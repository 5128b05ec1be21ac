"""POL-TIER-001's review: up at once, down one step after the anniversary and a grace period."""

from __future__ import annotations

import datetime as dt

from loyalty.domain.tier_review import (
    TierChange,
    TierRules,
    TierStanding,
    add_months,
    review_tier,
)
from loyalty.domain.tiers import Tier

RULES = TierRules(
    thresholds={Tier.BRONZE: 0, Tier.SILVER: 10_000, Tier.GOLD: 40_000, Tier.PLATINUM: 100_000},
    window_months=12,
    grace_months=3,
)
TODAY = dt.date(2026, 6, 15)


def standing(tier: Tier, changed: dt.date, grace: dt.date | None = None) -> TierStanding:
    return TierStanding(tier=tier, changed_on=changed, grace_until=grace)


def test_reaching_a_threshold_moves_up_at_once_even_several_steps() -> None:
    review = review_tier(
        standing(Tier.BRONZE, TODAY), qualifying_points=45_000, today=TODAY, rules=RULES
    )
    assert (review.change, review.after, review.changed_on) == (
        TierChange.UPGRADE,
        Tier.GOLD,
        TODAY,
    )


def test_below_the_threshold_before_the_anniversary_nothing_changes() -> None:
    review = review_tier(
        standing(Tier.GOLD, dt.date(2026, 1, 10)), qualifying_points=0, today=TODAY, rules=RULES
    )
    assert (review.change, review.after, review.grace_until) == (
        TierChange.UNCHANGED,
        Tier.GOLD,
        None,
    )
    assert "2027-01-10" in review.reason


def test_below_at_the_review_starts_the_grace_period() -> None:
    review = review_tier(
        standing(Tier.GOLD, dt.date(2025, 6, 1)), qualifying_points=100, today=TODAY, rules=RULES
    )
    assert (review.change, review.after) == (TierChange.GRACE_STARTED, Tier.GOLD)
    assert review.grace_until == dt.date(2026, 9, 15)


def test_still_below_when_the_grace_ends_drops_one_step_only() -> None:
    review = review_tier(
        standing(Tier.PLATINUM, dt.date(2025, 1, 1), grace=TODAY),
        qualifying_points=0,
        today=TODAY,
        rules=RULES,
    )
    assert (review.change, review.before, review.after) == (
        TierChange.DOWNGRADE,
        Tier.PLATINUM,
        Tier.GOLD,
    )
    assert (review.changed_on, review.grace_until) == (TODAY, None)


def test_during_the_grace_nothing_changes_and_qualifying_again_clears_it() -> None:
    waiting = review_tier(
        standing(Tier.GOLD, dt.date(2025, 1, 1), grace=dt.date(2026, 7, 1)),
        qualifying_points=0,
        today=TODAY,
        rules=RULES,
    )
    cleared = review_tier(
        standing(Tier.GOLD, dt.date(2025, 1, 1), grace=dt.date(2026, 7, 1)),
        qualifying_points=40_000,
        today=TODAY,
        rules=RULES,
    )
    assert (waiting.change, waiting.grace_until) == (TierChange.UNCHANGED, dt.date(2026, 7, 1))
    assert (cleared.change, cleared.after, cleared.grace_until) == (
        TierChange.GRACE_CLEARED,
        Tier.GOLD,
        None,
    )


def test_months_are_calendar_months_clamped_to_the_end_of_a_short_month() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 6, 15), -12) == dt.date(2025, 6, 15)

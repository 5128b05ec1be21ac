"""POL-TIER-001's tier review: where a member should stand, from their qualifying points.

The rules, with the policy's numbers passed in (``TierRules``):

* **Up at once.** When the qualifying points of the rolling window reach a
  higher tier's threshold, the member moves to the highest tier reached.
* **Down slowly.** Tier status is reviewed on the anniversary of the last tier
  change (the qualification window after it). A member below their tier's
  threshold on or after that date keeps the tier for the grace period; if
  still below when it ends, they drop one tier only, and the next review is
  the anniversary of that change. Qualifying again during the grace clears it.

A review is pure: the same standing, points and day give the same answer, so
a daily schedule and an on-demand review can both run it at any time.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from loyalty.domain.points import require_non_negative_points, require_positive_points
from loyalty.domain.tiers import Tier, lowest_tier
from loyalty.errors import ValidationError


class TierChange(StrEnum):
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    GRACE_STARTED = "grace_started"
    GRACE_CLEARED = "grace_cleared"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True, kw_only=True)
class TierRules:
    """POL-TIER-001: qualifying points per tier, the rolling window and the grace, in months."""

    thresholds: Mapping[Tier, int]
    window_months: int
    grace_months: int

    def __post_init__(self) -> None:
        missing = [tier.value for tier in Tier if tier not in self.thresholds]
        if missing:
            raise ValidationError(f"tier_qualifying_points has no value for {', '.join(missing)}")
        for tier in Tier:
            require_non_negative_points(
                self.thresholds[tier], name=f"tier_qualifying_points[{tier.value}]"
            )
        require_positive_points(self.window_months, name="tier_qualification_window_months")
        require_non_negative_points(self.grace_months, name="tier_downgrade_grace_months")

    def reached(self, points: int) -> Tier:
        """The highest tier whose threshold ``points`` reach."""
        met = [tier for tier, needed in self.thresholds.items() if points >= needed]
        return max(met, default=lowest_tier())


@dataclass(frozen=True, slots=True, kw_only=True)
class TierStanding:
    tier: Tier
    changed_on: dt.date
    grace_until: dt.date | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TierReview:
    """The outcome: the new standing (``after``, ``changed_on``, ``grace_until``) and why."""

    change: TierChange
    before: Tier
    after: Tier
    qualifying_points: int
    changed_on: dt.date
    grace_until: dt.date | None
    reason: str

    @property
    def standing(self) -> TierStanding:
        return TierStanding(
            tier=self.after, changed_on=self.changed_on, grace_until=self.grace_until
        )


def review_tier(
    standing: TierStanding, *, qualifying_points: int, today: dt.date, rules: TierRules
) -> TierReview:
    """Review one member's tier on ``today``; see the module docstring for the rules."""
    current, points = standing.tier, qualifying_points
    reached = rules.reached(points)

    def outcome(change: TierChange, after: Tier, grace: dt.date | None, reason: str) -> TierReview:
        moved = after != current
        return TierReview(
            change=change,
            before=current,
            after=after,
            qualifying_points=points,
            changed_on=today if moved else standing.changed_on,
            grace_until=grace,
            reason=reason,
        )

    if reached > current:
        return outcome(
            TierChange.UPGRADE, reached, None, f"{points} qualifying points reach {reached.value}"
        )
    if reached == current:
        if standing.grace_until is not None:
            return outcome(
                TierChange.GRACE_CLEARED,
                current,
                None,
                f"{points} qualifying points keep {current.value}",
            )
        return outcome(
            TierChange.UNCHANGED, current, None, f"{points} qualifying points keep {current.value}"
        )
    below = f"{points} qualifying points are below {current.value}'s {rules.thresholds[current]}"
    review_on = add_months(standing.changed_on, rules.window_months)
    if today < review_on:
        return outcome(TierChange.UNCHANGED, current, None, f"{below}; reviewed on {review_on}")
    if standing.grace_until is None:
        grace = add_months(today, rules.grace_months)
        return outcome(TierChange.GRACE_STARTED, current, grace, f"{below}; grace until {grace}")
    if today < standing.grace_until:
        return outcome(
            TierChange.UNCHANGED,
            current,
            standing.grace_until,
            f"{below}; grace until {standing.grace_until}",
        )
    lower = max(reached, _one_below(current))
    return outcome(
        TierChange.DOWNGRADE, lower, None, f"{below} after the grace period: one tier down"
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, clamped to the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _one_below(tier: Tier) -> Tier:
    return next(t for t in sorted(Tier, reverse=True) if t < tier)

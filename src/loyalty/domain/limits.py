"""Redemption limits in points (POL-REDEMPTION-001) and review by size or pace (POL-FRAUD-001).

Size: a redemption's size is its catalog value (unit cost x quantity): it must
be at least the minimum and a whole multiple of the increment. Tier discounts
and promotions lower what the member pays, never the size, so a discount can
neither make a reward unredeemable nor break the increment.

Spend: what the member pays must stay within the tier's maximum for one
redemption, and, with what the member already redeemed today (UTC) and this
month, within the tier's daily and monthly ceilings. Released holds and
refunds give their points back to those counters. The decision checks the
ceilings to refuse early with a clear reason; the ledger checks them again
when it reserves, under the member's account lock, so two redemptions racing
past the decision cannot both fit under one ceiling.

Review: above a size the fraud policy names, a person looks first, whatever
the fraud score; for a young account the size is lower; and so is every
redemption after the policy's number in a rolling 24 hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from loyalty.domain.points import require_positive_points
from loyalty.domain.program import require_every_tier
from loyalty.domain.reasons import Reason
from loyalty.domain.tiers import Tier


@dataclass(frozen=True, slots=True, kw_only=True)
class SpendCeiling:
    """The most points a member may redeem in a UTC day and in a calendar month."""

    daily: int
    monthly: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PointLimits:
    """The numbers of POL-REDEMPTION-001 (points, by tier where the policy says so)."""

    min_points: int
    increment_points: int
    max_points: Mapping[Tier, int]
    daily_points: Mapping[Tier, int]
    monthly_points: Mapping[Tier, int]

    def __post_init__(self) -> None:
        require_positive_points(self.min_points, name="min_points")
        require_positive_points(self.increment_points, name="increment_points")
        require_every_tier(self.max_points, name="max_points_per_redemption")
        require_every_tier(self.daily_points, name="daily_redemption_limit")
        require_every_tier(self.monthly_points, name="monthly_redemption_limit")

    def ceiling(self, tier: Tier) -> SpendCeiling:
        return SpendCeiling(daily=self.daily_points[tier], monthly=self.monthly_points[tier])


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewTriggers:
    """POL-FRAUD-001: what sends a redemption to a person regardless of its fraud score.

    Attributes:
        above_points: Sizes above this are reviewed.
        new_account_days: Accounts opened fewer days ago than this are young...
        new_account_above_points: ...and reviewed above this size instead.
        max_in_24h: Redemptions after this many in a rolling 24 hours are reviewed.
    """

    above_points: int
    new_account_days: int
    new_account_above_points: int
    max_in_24h: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Spend:
    """What the member redeemed already, net of releases and refunds, and what this one costs."""

    tier: Tier
    size: int
    price: int
    spent_today: int
    spent_this_month: int


def limit_reasons(spend: Spend, limits: PointLimits) -> tuple[Reason, ...]:
    """Every limit this redemption breaks, in a fixed order; empty when within them all."""
    tier = spend.tier.value
    size_checks = (
        (
            spend.size < limits.min_points,
            "below_minimum",
            f"a redemption must be worth at least {limits.min_points} points "
            f"(this one is {spend.size})",
        ),
        (
            spend.size % limits.increment_points != 0,
            "not_an_increment",
            f"a redemption must be a whole multiple of {limits.increment_points} points "
            f"(this one is {spend.size})",
        ),
        (
            spend.price > limits.max_points[spend.tier],
            "above_tier_maximum",
            f"{spend.price} points is above the {tier} maximum of "
            f"{limits.max_points[spend.tier]} for one redemption",
        ),
    )
    broken = tuple(Reason(code=code, message=text) for hit, code, text in size_checks if hit)
    return broken + ceiling_reasons(
        spend.price,
        spent_today=spend.spent_today,
        spent_this_month=spend.spent_this_month,
        ceiling=limits.ceiling(spend.tier),
    )


def ceiling_reasons(
    points: int, *, spent_today: int, spent_this_month: int, ceiling: SpendCeiling
) -> tuple[Reason, ...]:
    """Which period ceilings ``points`` more would pass; empty when both still fit."""
    checks = (
        (
            spent_today + points > ceiling.daily,
            "daily_points_limit",
            f"the daily limit of {ceiling.daily} points would be passed "
            f"({spent_today} redeemed today, {points} more asked)",
        ),
        (
            spent_this_month + points > ceiling.monthly,
            "monthly_points_limit",
            f"the monthly limit of {ceiling.monthly} points would be passed "
            f"({spent_this_month} redeemed this month, {points} more asked)",
        ),
    )
    return tuple(Reason(code=code, message=text) for hit, code, text in checks if hit)


def review_reasons(
    size: int, *, account_age_days: int, in_last_24h: int, triggers: ReviewTriggers
) -> tuple[str, ...]:
    """Why this redemption goes to a person whatever its score; empty when nothing sends it."""
    reasons = []
    young = account_age_days < triggers.new_account_days
    threshold = triggers.new_account_above_points if young else triggers.above_points
    if size > threshold:
        who = (
            f"an account younger than {triggers.new_account_days} days" if young else "any account"
        )
        reasons.append(f"{size} points is above the review size of {threshold} for {who}")
    if in_last_24h >= triggers.max_in_24h:
        reasons.append(
            f"{in_last_24h} redemptions in the last 24 hours: after {triggers.max_in_24h} "
            "each one is reviewed"
        )
    return tuple(reasons)

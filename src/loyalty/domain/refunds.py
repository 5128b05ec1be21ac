"""Refund plans: how many points a refund of some units returns, and who must look first.

A redemption of ``quantity`` units for ``points`` can be refunded in parts. A
part returns its share of the price rounded down; the refund that takes the
last units returns whatever is left, so the parts always add up to the price
and rounding never creates or loses a point.

POL-REFUND-001: a refund is automatic within the cancellation window and up to
the automatic-reversal maximum; outside the window or above it, loyalty
operations approve it first (:func:`review_reasons`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from loyalty.errors import InvalidStateError


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundableRedemption:
    """What a refund needs to know about the redemption it refunds."""

    redemption_id: str
    status: str
    quantity: int
    points: int
    refunded_quantity: int
    refunded_points: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundPlan:
    """``units`` to refund for ``points``; ``closes`` when no unit is left after it."""

    units: int
    points: int
    closes: bool


def plan_refund(redemption: RefundableRedemption, *, units: int | None) -> RefundPlan:
    """Plan a refund of ``units`` (``None``: every unit left).

    Raises:
        InvalidStateError: The redemption is not completed, nothing is left, or
            more units are asked for than are left.
    """
    if redemption.status != "completed":
        raise InvalidStateError(
            f"redemption {redemption.redemption_id} is {redemption.status};"
            " only completed ones refund",
            reasons=[f"redemption is {redemption.status}, not completed"],
        )
    left_units = redemption.quantity - redemption.refunded_quantity
    asked = left_units if units is None else units
    if left_units == 0 or asked > left_units:
        raise InvalidStateError(
            f"cannot refund {asked} of redemption {redemption.redemption_id}:"
            f" {left_units} units left",
            reasons=[f"only {left_units} units are left to refund"],
        )
    closes = asked == left_units
    left_points = redemption.points - redemption.refunded_points
    points = left_points if closes else redemption.points * asked // redemption.quantity
    return RefundPlan(units=asked, points=points, closes=closes)


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundRules:
    """The numbers of POL-REFUND-001.

    Attributes:
        window_days: Days after completion a refund is accepted without review.
        auto_max_points: Largest refund posted without review.
        approval_hours: How long a review may wait before the refund is refused.
    """

    window_days: int
    auto_max_points: int
    approval_hours: int


def review_reasons(
    plan: RefundPlan, *, completed_at: dt.datetime, now: dt.datetime, rules: RefundRules
) -> tuple[str, ...]:
    """Why loyalty operations must approve this refund first; empty when it is automatic."""
    reasons = []
    age = now - completed_at
    if age > dt.timedelta(days=rules.window_days):
        reasons.append(
            f"completed {age.days} days ago, outside the {rules.window_days}-day refund window"
        )
    if plan.points > rules.auto_max_points:
        reasons.append(
            f"{plan.points} points is above the {rules.auto_max_points} automatic reversal maximum"
        )
    return tuple(reasons)

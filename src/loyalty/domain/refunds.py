"""Refund plans: how many points a refund of some units returns, on plain values.

A redemption of ``quantity`` units for ``points`` can be refunded in parts. A
part returns its share of the price rounded down; the refund that takes the
last units returns whatever is left, so the parts always add up to the price
and rounding never creates or loses a point.
"""

from __future__ import annotations

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

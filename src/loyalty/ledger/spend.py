"""Points a member redeemed in the policy's periods (UTC day, calendar month), from holds.

A hold is a redemption's reservation: active and captured holds count, net of
what a refund reversed; released holds count nothing, because cancelled and
reversed redemptions give their points back to the limit counters
(POL-REDEMPTION-001). Counting holds, not redemption records, sees a
redemption from the moment its points are reserved, and the reservation reads
it under the same account lock that serialises the member's holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyalty.ledger.models import Hold


@dataclass(frozen=True, slots=True)
class Redeemed:
    """Points redeemed since midnight UTC and since the first of the month."""

    today: int
    this_month: int


def redeemed_points(session: Session, *, member_id: str, now: dt.datetime) -> Redeemed:
    """The member's redeemed points in the day and the month of ``now`` (UTC)."""
    day_start = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    net = Hold.points - Hold.reversed_points
    row = session.execute(
        select(
            func.coalesce(func.sum(net).filter(Hold.created_at >= day_start), 0),
            func.coalesce(func.sum(net), 0),
        ).where(
            Hold.member_id == member_id,
            Hold.status.in_(("active", "captured")),
            Hold.created_at >= month_start,
        )
    ).one()
    return Redeemed(today=int(row[0]), this_month=int(row[1]))

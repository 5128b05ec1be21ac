"""Point lots: consume the oldest-expiring unexpired points first, restore to where they came from.

Lots make expiry exact: every point knows its expiry date, a redemption spends
the points closest to expiring (the member's best interest), and a release or
refund puts points back into the very lots they left, with their original expiry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import InsufficientPointsError
from loyalty.ledger.models import HoldAllocation, PointLot


def spendable_lots(session: Session, member_id: str, now: dt.datetime) -> Sequence[PointLot]:
    """Unexpired lots with points left, oldest expiry first (the FIFO order)."""
    return session.scalars(
        select(PointLot)
        .where(PointLot.member_id == member_id, PointLot.remaining > 0, PointLot.expires_at > now)
        .order_by(PointLot.expires_at, PointLot.id)
    ).all()


def consume(
    session: Session, member_id: str, points: int, now: dt.datetime
) -> list[tuple[PointLot, int]]:
    """Take ``points`` from the lots in FIFO order; the caller holds the account lock.

    Raises:
        InsufficientPointsError: the unexpired lots do not cover ``points``.
    """
    lots = spendable_lots(session, member_id, now)
    have = sum(lot.remaining for lot in lots)
    if have < points:
        raise InsufficientPointsError(
            f"member {member_id} has {have} spendable points, {points} needed",
            reasons=[f"insufficient points: {have} available, {points} required"],
        )
    taken: list[tuple[PointLot, int]] = []
    left = points
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        lot.remaining -= take
        left -= take
        taken.append((lot, take))
    return taken


def take_up_to(
    session: Session,
    member_id: str,
    points: int,
    now: dt.datetime,
    *,
    first: PointLot | None = None,
) -> int:
    """Take as many of ``points`` as the unexpired lots hold; how many were taken.

    ``first`` (a lot of this member) is drawn from before the FIFO order: a
    return takes back the order's own points before any others.
    """
    ordered = list(spendable_lots(session, member_id, now))
    if first is not None and first in ordered:
        ordered.remove(first)
        ordered.insert(0, first)
    left = points
    for lot in ordered:
        if left == 0:
            break
        take = min(lot.remaining, left)
        lot.remaining -= take
        left -= take
    return points - left


def restore(session: Session, allocations: Sequence[HoldAllocation], points: int) -> None:
    """Return ``points`` to the lots a hold drew from, latest-expiring first.

    Latest-expiring first gives the member back the points with the most life
    left; each allocation restores at most what it took.
    """
    lots = {lot.id: lot for lot in _lots_of(session, allocations)}
    ordered = sorted(allocations, key=lambda a: (lots[a.lot_id].expires_at, a.lot_id), reverse=True)
    left = points
    for allocation in ordered:
        if left == 0:
            break
        give = min(allocation.points - allocation.restored_points, left)
        if give <= 0:
            continue
        allocation.restored_points += give
        lots[allocation.lot_id].remaining += give
        left -= give
    if left:
        raise AssertionError(f"hold allocations cannot absorb {left} restored points")


def _lots_of(session: Session, allocations: Sequence[HoldAllocation]) -> Sequence[PointLot]:
    ids = [a.lot_id for a in allocations]
    return session.scalars(select(PointLot).where(PointLot.id.in_(ids))).all()

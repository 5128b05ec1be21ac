"""Read side of the ledger: balances that never count expired points, and entry pages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyalty.errors import NotFoundError
from loyalty.ledger.models import Account, LedgerEntry, PointLot
from loyalty.ledger.results import Balance, EntryView


def get_balance(
    session: Session,
    *,
    member_id: str,
    as_of: dt.datetime,
    expiring_within: dt.timedelta = dt.timedelta(0),
) -> Balance:
    """Spendable and held points as of ``as_of``.

    ``available`` counts only unexpired lots, so points past their date stop
    counting at once, before the ``expire`` run posts their entries.
    """
    account = session.get(Account, member_id)
    if account is None:
        raise NotFoundError(f"member {member_id} not found")
    horizon = as_of + expiring_within
    live = PointLot.expires_at > as_of
    available, expiring = session.execute(
        select(
            func.coalesce(func.sum(PointLot.remaining).filter(live), 0),
            func.coalesce(
                func.sum(PointLot.remaining).filter(live, PointLot.expires_at <= horizon), 0
            ),
        ).where(PointLot.member_id == member_id)
    ).one()
    return Balance(
        member_id=member_id,
        available=int(available),
        held=account.held,
        expiring_soon=int(expiring),
        expiring_soon_before=horizon,
        as_of=as_of,
        pending=account.pending,
        owed=account.owed,
    )


def expiring_points(
    session: Session, *, member_id: str, as_of: dt.datetime, within: dt.timedelta
) -> list[tuple[dt.datetime, int]]:
    """``(expires_at, points)`` of unexpired points expiring within ``within``, soonest first."""
    rows = session.execute(
        select(PointLot.expires_at, func.sum(PointLot.remaining))
        .where(
            PointLot.member_id == member_id,
            PointLot.remaining > 0,
            PointLot.expires_at > as_of,
            PointLot.expires_at <= as_of + within,
        )
        .group_by(PointLot.expires_at)
        .order_by(PointLot.expires_at)
    ).all()
    return [(at, int(points)) for at, points in rows]


def list_entries(
    session: Session, *, member_id: str, limit: int, before_id: int | None = None
) -> list[EntryView]:
    """Newest first; pass the last ``entry_id`` seen as ``before_id`` for the next page."""
    if session.get(Account, member_id) is None:
        raise NotFoundError(f"member {member_id} not found")
    query = select(LedgerEntry).where(LedgerEntry.member_id == member_id)
    if before_id is not None:
        query = query.where(LedgerEntry.id < before_id)
    rows = session.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit)).all()
    return [
        EntryView(
            entry_id=row.id,
            kind=row.kind,
            delta_available=row.delta_available,
            delta_held=row.delta_held,
            available_after=row.available_after,
            held_after=row.held_after,
            hold_id=row.hold_id,
            expires_at=row.expires_at,
            reason=row.reason,
            actor=row.actor,
            created_at=row.created_at,
            delta_pending=row.delta_pending,
            pending_after=row.pending_after,
            delta_owed=row.delta_owed,
            owed_after=row.owed_after,
        )
        for row in rows
    ]

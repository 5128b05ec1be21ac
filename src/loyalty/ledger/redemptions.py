"""Redemption records: the saga's outcome mirrored in PostgreSQL, and the history rules read.

The workflow is the source of truth while it runs; this table lets the API list
redemptions by member and status after workflows close, and gives eligibility
and fraud rules the member's recent history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, any_, case, func, not_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from loyalty.domain.redemption import RedemptionHistory
from loyalty.errors import NotFoundError
from loyalty.ledger import spend
from loyalty.ledger.keyset import newest_first
from loyalty.ledger.models import Redemption

# Redemptions that count against limits and velocity: everything not refused.
COUNTED_STATUSES = ("running", "awaiting_approval", "needs_attention", "completed")


def upsert_redemption(session: Session, *, values: dict[str, Any]) -> None:
    """Insert the record or update its mutable fields; safe to repeat, never backwards.

    ``recorded_run_id`` and ``recorded_progress`` say which workflow run wrote the
    values and how far it had got: a record of the same run that had got less far
    (it ran late, or again after its workflow task was retried) changes nothing. A
    record of another run (an operator reset the workflow) applies, and the run it
    replaces joins ``replaced_run_ids``: the reset terminated that run, so a record
    of it that lands afterwards (one it had started was still writing) is late and
    changes nothing either.
    """
    mutable = {
        k: v
        for k, v in values.items()
        if k
        in {
            "status",
            "points",
            "hold_id",
            "voucher_id",
            "outcome",
            "recorded_run_id",
            "recorded_progress",
        }
    }
    statement = insert(Redemption).values(**values)
    proposed = statement.excluded
    stored_run = Redemption.recorded_run_id
    another_run = stored_run.is_distinct_from(proposed.recorded_run_id)
    replaced = case(
        (
            and_(stored_run.is_not(None), another_run),
            func.array_append(Redemption.replaced_run_ids, stored_run),
        ),
        else_=Redemption.replaced_run_ids,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Redemption.id],
            set_={**mutable, "replaced_run_ids": replaced, "updated_at": func.now()},
            where=and_(
                not_(proposed.recorded_run_id == any_(Redemption.replaced_run_ids)),
                or_(
                    another_run,
                    Redemption.recorded_progress.is_(None),
                    Redemption.recorded_progress <= proposed.recorded_progress,
                ),
            ),
        )
    )


def get_redemption(session: Session, *, redemption_id: str, lock: bool = False) -> Redemption:
    query = select(Redemption).where(Redemption.id == redemption_id)
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFoundError(f"redemption {redemption_id} not found")
    return row


def list_redemptions(
    session: Session,
    *,
    member_id: str | None,
    status: str | None,
    limit: int,
    offset: int = 0,
    after: tuple[dt.datetime, str] | None = None,
) -> Sequence[Redemption]:
    """Newest first (the id breaks ties); ``after`` = the (created_at, id) of the last one shown.

    Paging by ``after`` (a keyset) never repeats or skips a row when redemptions
    are made between pages; ``offset`` remains for the deprecated query parameter.
    """
    query = select(Redemption)
    if member_id:
        query = query.where(Redemption.member_id == member_id)
    if status:
        query = query.where(Redemption.status == status)
    query = newest_first(query, created_at=Redemption.created_at, row_id=Redemption.id, after=after)
    return session.scalars(query.limit(limit).offset(offset)).all()


def member_history(
    session: Session, *, member_id: str, now: dt.datetime, exclude_id: str
) -> RedemptionHistory:
    """Counts and aggregates over the member's other redemptions."""
    mine = (
        Redemption.member_id == member_id,
        Redemption.id != exclude_id,
        Redemption.status.in_(COUNTED_STATUSES),
    )
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    since = Redemption.created_at
    completed = Redemption.status == "completed"
    row = session.execute(
        select(
            func.count().filter(since >= day_start),
            func.count().filter(since >= month_start),
            func.count().filter(since >= now - dt.timedelta(hours=1)),
            func.count().filter(since >= now - dt.timedelta(days=1)),
            func.count().filter(completed),
            func.coalesce(func.sum(Redemption.points).filter(completed), 0),
            func.coalesce(func.max(Redemption.points).filter(completed), 0),
        ).where(*mine)
    ).one()
    channels = session.scalars(select(Redemption.channel).where(*mine).distinct()).all()
    devices = session.scalars(
        select(Redemption.device_id).where(*mine, Redemption.device_id.is_not(None)).distinct()
    ).all()
    redeemed = spend.redeemed_points(session, member_id=member_id, now=now)
    return RedemptionHistory(
        today=row[0],
        this_month=row[1],
        last_hour=row[2],
        last_day=row[3],
        completed_count=row[4],
        completed_points=int(row[5]),
        completed_max_points=int(row[6]),
        known_channels=frozenset(channels),
        known_devices=frozenset(d for d in devices if d),
        spent_today=redeemed.today,
        spent_this_month=redeemed.this_month,
    )

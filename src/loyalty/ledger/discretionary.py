"""Discretionary credits granted through agent-assisted cases, and what the guardrails count.

Marker: an assisted credit is an ``adjust`` entry whose ``reason`` starts with
``agent-goodwill:`` or ``agent-retention:`` followed by the case id (the
workflow id); its idempotency key is ``<workflow_id>:credit``. The ledger is
the record of points that actually moved, so the frequency caps and the daily
budget count these entries rather than decision-log approvals (an approved
case whose credit never posted must not use up a member's cap). A partial
index (migration 0005) keeps both queries cheap.

Manual operator adjustments never carry the prefix, so they count against
neither the caps nor the budget.

``check_grant`` re-checks the caps inside the credit's own transaction: the
member's account row is already locked by the ledger, and the purpose's
``budget_periods`` row for the month is locked next (always in that order), so
two grants can neither both pass a member's cap nor both fit the last of a
budget on one snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from loyalty.domain.credit_caps import (
    WINDOW_DAYS,
    CreditLimits,
    CreditPurpose,
    Granted,
    grant_refusals,
)
from loyalty.errors import CapReachedError
from loyalty.ledger.models import BudgetPeriod, LedgerEntry

REASON_PREFIX: dict[CreditPurpose, str] = {
    CreditPurpose.GOODWILL: "agent-goodwill:",
    CreditPurpose.RETENTION: "agent-retention:",
}
GOODWILL_WINDOW = dt.timedelta(days=WINDOW_DAYS[CreditPurpose.GOODWILL])
RETENTION_WINDOW = dt.timedelta(days=WINDOW_DAYS[CreditPurpose.RETENTION])


@dataclass(frozen=True, slots=True)
class CreditCounts:
    """A member's assisted credits in the policies' rolling windows."""

    goodwill_30d: int
    retention_90d: int


@dataclass(frozen=True, slots=True)
class PointsToday:
    """Assisted points granted program-wide since midnight UTC."""

    goodwill: int
    retention: int


def credit_reason(purpose: CreditPurpose, case_id: str) -> str:
    """The ledger ``reason`` that marks an assisted credit."""
    return f"{REASON_PREFIX[purpose]}{case_id}"


def _marked(purpose: CreditPurpose) -> ColumnElement[bool]:
    return LedgerEntry.reason.startswith(REASON_PREFIX[purpose], autoescape=True)


def _assisted_credits() -> tuple[ColumnElement[bool], ...]:
    return (
        LedgerEntry.kind == "adjust",
        LedgerEntry.delta_available > 0,
        LedgerEntry.reason.like("agent-%"),
    )


def member_credit_counts(session: Session, *, member_id: str, now: dt.datetime) -> CreditCounts:
    """How many assisted goodwill (30 days) and retention (90 days) credits the member got."""
    goodwill, retention = _marked(CreditPurpose.GOODWILL), _marked(CreditPurpose.RETENTION)
    since = LedgerEntry.created_at
    row = session.execute(
        select(
            func.count().filter(goodwill, since >= now - GOODWILL_WINDOW),
            func.count().filter(retention, since >= now - RETENTION_WINDOW),
        ).where(
            *_assisted_credits(),
            LedgerEntry.member_id == member_id,
            since >= now - RETENTION_WINDOW,
        )
    ).one()
    return CreditCounts(goodwill_30d=int(row[0]), retention_90d=int(row[1]))


def _day_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def points_granted_today(session: Session, *, now: dt.datetime) -> PointsToday:
    """Assisted goodwill and retention points posted since midnight UTC of ``now``."""
    day_start = _day_start(now)
    goodwill, retention = _marked(CreditPurpose.GOODWILL), _marked(CreditPurpose.RETENTION)
    points = LedgerEntry.delta_available
    row = session.execute(
        select(
            func.coalesce(func.sum(points).filter(goodwill), 0),
            func.coalesce(func.sum(points).filter(retention), 0),
        ).where(*_assisted_credits(), LedgerEntry.created_at >= day_start)
    ).one()
    return PointsToday(goodwill=int(row[0]), retention=int(row[1]))


def check_grant(
    session: Session,
    *,
    member_id: str,
    points: int,
    limits: CreditLimits,
    now: dt.datetime,
    approved_by_person: bool,
) -> None:
    """Refuse a credit that would pass a cap, with the member's account already locked.

    Raises:
        CapReachedError: naming every cap the credit would pass.
    """
    month = _day_start(now).date().replace(day=1)
    _lock_budget(session, limits.purpose, month)
    granted = _granted(session, limits.purpose, member_id=member_id, now=now, month=month)
    refusals = grant_refusals(points, granted, limits, approved_by_person=approved_by_person)
    if refusals:
        raise CapReachedError(refusals[0].message, reasons=[reason.message for reason in refusals])


def _lock_budget(session: Session, purpose: CreditPurpose, month: dt.date) -> None:
    session.execute(
        insert(BudgetPeriod)
        .values(purpose=purpose.value, month=month)
        .on_conflict_do_nothing(index_elements=["purpose", "month"])
    )
    session.execute(
        select(BudgetPeriod.purpose)
        .where(BudgetPeriod.purpose == purpose.value, BudgetPeriod.month == month)
        .with_for_update()
    )


def _granted(
    session: Session, purpose: CreditPurpose, *, member_id: str, now: dt.datetime, month: dt.date
) -> Granted:
    window_start = now - dt.timedelta(days=WINDOW_DAYS[purpose])
    month_start = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    since, points = LedgerEntry.created_at, LedgerEntry.delta_available
    row = session.execute(
        select(
            func.count().filter(LedgerEntry.member_id == member_id, since >= window_start),
            func.coalesce(func.sum(points).filter(since >= _day_start(now)), 0),
            func.coalesce(func.sum(points).filter(since >= month_start), 0),
        ).where(
            *_assisted_credits(),
            _marked(purpose),
            since >= min(window_start, month_start),
        )
    ).one()
    return Granted(member_in_window=int(row[0]), today=int(row[1]), this_month=int(row[2]))

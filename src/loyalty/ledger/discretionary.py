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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from loyalty.ledger.models import LedgerEntry

CreditPurpose = Literal["goodwill", "retention"]

REASON_PREFIX: dict[CreditPurpose, str] = {
    "goodwill": "agent-goodwill:",
    "retention": "agent-retention:",
}
GOODWILL_WINDOW = dt.timedelta(days=30)
RETENTION_WINDOW = dt.timedelta(days=90)


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
    goodwill, retention = _marked("goodwill"), _marked("retention")
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


def points_granted_today(session: Session, *, now: dt.datetime) -> PointsToday:
    """Assisted goodwill and retention points posted since midnight UTC of ``now``."""
    day_start = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    goodwill, retention = _marked("goodwill"), _marked("retention")
    points = LedgerEntry.delta_available
    row = session.execute(
        select(
            func.coalesce(func.sum(points).filter(goodwill), 0),
            func.coalesce(func.sum(points).filter(retention), 0),
        ).where(*_assisted_credits(), LedgerEntry.created_at >= day_start)
    ).one()
    return PointsToday(goodwill=int(row[0]), retention=int(row[1]))

"""The saga's active holds, for the checks that ask whether their workflow still runs.

A saga's hold carries its workflow id as ``reference`` (``redemption-...``). A
hold whose workflow has closed will never be captured or released by it: the
reconciliation reports it and the hold sweeper expires it. Holds made by
anything else (a test, a manual ledger call) name no workflow and are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.ledger.models import Hold

SAGA_REFERENCE_PREFIX = "redemption-"


@dataclass(frozen=True, slots=True)
class SagaHold:
    hold_id: int
    member_id: str
    workflow_id: str
    points: int
    units: int
    created_at: dt.datetime


def active_saga_holds(
    session: Session,
    *,
    created_before: dt.datetime | None = None,
    member_id: str | None = None,
    limit: int | None = None,
) -> list[SagaHold]:
    """Active holds whose reference names a redemption workflow, oldest first."""
    query = select(Hold).where(
        Hold.status == "active",
        Hold.reference.startswith(SAGA_REFERENCE_PREFIX, autoescape=True),
    )
    if created_before is not None:
        query = query.where(Hold.created_at < created_before)
    if member_id is not None:
        query = query.where(Hold.member_id == member_id)
    rows = session.scalars(query.order_by(Hold.created_at, Hold.id).limit(limit)).all()
    return [
        SagaHold(
            hold_id=row.id,
            member_id=row.member_id,
            workflow_id=row.reference,
            points=row.points,
            units=row.units,
            created_at=row.created_at,
        )
        for row in rows
    ]

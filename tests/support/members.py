"""Members made in a database of a test's choosing (``new_member`` is bound to the session's)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session, sessionmaker

from loyalty.ledger.catalog import ensure_member
from loyalty.ledger.repository import Ledger


def funded_member(
    sessions: sessionmaker[Session], *, points: int, expires_at: dt.datetime, ledger: Ledger
) -> str:
    """A silver member of 2024 whose one accrual (through ``ledger``) expires at ``expires_at``."""
    member = f"M-{uuid.uuid4().hex[:10]}"
    with sessions.begin() as session:
        ensure_member(
            session,
            member_id=member,
            tier="silver",
            region="US",
            status="active",
            joined_on=dt.date(2024, 1, 1),
        )
    key = f"accrual-{uuid.uuid4().hex[:10]}"
    ledger.accrue(member_id=member, points=points, expires_at=expires_at, idempotency_key=key)
    return member

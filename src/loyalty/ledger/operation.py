"""One ledger operation inside its transaction: the member's locked account and how to post.

Every write of the ledger (``repository``, ``accruals``, ``expiry_care``) runs as
an ``Operation``: the account row is locked first, then each move of the
projection is posted together with the entry that explains it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import InvalidStateError, NotFoundError
from loyalty.ledger.idempotency import to_result
from loyalty.ledger.models import Account, Hold, LedgerEntry, PointLot
from loyalty.ledger.results import EntryResult


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def lock_account(session: Session, member_id: str) -> Account:
    account = session.scalars(
        select(Account).where(Account.member_id == member_id).with_for_update()
    ).first()
    if account is None:
        raise NotFoundError(f"member {member_id} not found")
    return account


class Operation:
    """One operation inside its transaction: the locked account and how to post."""

    def __init__(self, session: Session, account: Account, key: str = "", request_hash: str = ""):
        self.session = session
        self.account = account
        self.key = key
        self.request_hash = request_hash
        self.replay: EntryResult | None = None

    def new_lot(self, points: int, expires_at: dt.datetime) -> PointLot:
        lot = PointLot(
            member_id=self.account.member_id,
            original_points=points,
            remaining=points,
            expired_points=0,
            expires_at=expires_at,
        )
        self.session.add(lot)
        self.session.flush()
        return lot

    def lock_hold(self, hold_id: int, *, expected_status: str | None) -> Hold:
        hold = self.session.scalars(select(Hold).where(Hold.id == hold_id).with_for_update()).one()
        if expected_status is not None and hold.status != expected_status:
            raise InvalidStateError(
                f"hold {hold_id} is {hold.status}, not {expected_status}",
                reasons=[f"hold is already {hold.status}"],
            )
        return hold

    def post(
        self,
        kind: str,
        delta_available: int,
        delta_held: int,
        *,
        delta_pending: int = 0,
        delta_owed: int = 0,
        **fields: Any,
    ) -> EntryResult:
        """Move the projection and append the entry that explains the move."""
        account = self.account
        account.available += delta_available
        account.held += delta_held
        account.pending += delta_pending
        account.owed += delta_owed
        account.updated_at = utc_now()
        entry = LedgerEntry(
            member_id=account.member_id,
            kind=kind,
            delta_available=delta_available,
            delta_held=delta_held,
            available_after=account.available,
            held_after=account.held,
            delta_pending=delta_pending,
            pending_after=account.pending,
            delta_owed=delta_owed,
            owed_after=account.owed,
            idempotency_key=self.key,
            request_hash=self.request_hash,
            **fields,
        )
        self.session.add(entry)
        self.session.flush()
        return to_result(entry)

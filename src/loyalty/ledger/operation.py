"""One ledger operation inside its transaction: the member's locked account and how to post.

Every write of the ledger (``repository``, ``accruals``, ``expiry_care``) runs as
an ``Operation``: the account row is locked first, then each move of the
projection is posted together with the entry that explains it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, literal_column, select
from sqlalchemy.orm import Session, aliased

from loyalty.errors import InvalidStateError, NotFoundError
from loyalty.ledger.idempotency import entry_by_key, to_result
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


@dataclass
class Locked:
    """What the locking statement returns: the account, ``key``'s entry, the named hold."""

    account: Account
    entry: LedgerEntry | None
    hold: Hold | None


def lock_account_with_key(
    session: Session, key: str, *, member_id: str | None = None, hold_id: int | None = None
) -> Locked:
    """Lock the account (the member's, or ``hold_id``'s owner's); read ``key``'s entry, the hold.

    One statement instead of four (the hold's owner, the lock, the key, the hold). Its
    reads see the snapshot taken when the statement began, possibly before another
    operation committed and let go of the lock this one waited for; then the entry is read
    again, and the hold left for ``Operation.lock_hold`` to lock. That case shows: every
    operation that posts an entry or changes a hold also updates its account row
    (``Operation.post``), so the row version this statement locked differs from the one its
    snapshot saw. An unchanged version proves nothing was posted in between, and since holds
    change only under their account's lock, the hold read here is current and stays so.

    Raises:
        NotFoundError: no such member, or no such hold.
    """
    if (member_id is None) == (hold_id is None):
        raise ValueError("name the member or the hold, not both")
    owner = (
        select(Hold.member_id).where(Hold.id == hold_id).correlate(None).scalar_subquery()
        if hold_id is not None
        else member_id
    )
    seen = aliased(Account, name="seen")
    seen_version = (
        select(literal_column("seen.xmin::text")).where(seen.member_id == owner).scalar_subquery()
    )
    hold = (
        and_(Hold.id == hold_id, Hold.member_id == Account.member_id)
        if hold_id is not None
        else false()
    )
    query = (
        select(Account, LedgerEntry, Hold, literal_column("accounts.xmin::text"), seen_version)
        .select_from(Account)
        .outerjoin(LedgerEntry, LedgerEntry.idempotency_key == key)
        .outerjoin(Hold, hold)
        .where(Account.member_id == owner)
        .with_for_update(of=Account)
    )
    row = session.execute(query).first()
    if row is None:
        missing = f"hold {hold_id}" if hold_id is not None else f"member {member_id}"
        raise NotFoundError(f"{missing} not found")
    account, entry, found_hold, locked_version, seen_version_then = row
    if locked_version != seen_version_then:
        return Locked(account, entry_by_key(session, key), None)
    return Locked(account, entry, found_hold)


class Operation:
    """One operation inside its transaction: the locked account and how to post."""

    def __init__(
        self,
        session: Session,
        account: Account,
        key: str = "",
        request_hash: str = "",
        *,
        hold: Hold | None = None,
    ):
        self.session = session
        self.account = account
        self.key = key
        self.request_hash = request_hash
        self.replay: EntryResult | None = None
        self._hold = hold  # read under the account lock by ``lock_account_with_key``

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
        """The hold, locked; the one read with the account lock needs no statement of its own."""
        hold = self._hold
        if hold is None or hold.id != hold_id:
            query = select(Hold).where(Hold.id == hold_id).with_for_update()
            hold = self.session.scalars(query).one()
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

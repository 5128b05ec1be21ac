"""The ledger repository: every way points move, each one idempotent transaction.

Each operation locks the member's account row (``SELECT ... FOR UPDATE``) before
it reads anything it will decide on, so concurrent operations on one account
serialize and can never overdraw it, while different accounts proceed in
parallel. Inside the lock it checks the idempotency key, changes the projection
(account and lots) and appends the entry that explains the change, all in one
transaction: the projection never moves without its entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from loyalty.errors import (
    IdempotencyConflictError,
    InvalidStateError,
    NotFoundError,
    ValidationError,
)
from loyalty.ledger import lots, reads, reconcile
from loyalty.ledger.idempotency import (
    entry_by_key,
    find_replay,
    fingerprint,
    require_key,
    to_result,
)
from loyalty.ledger.models import Account, Hold, HoldAllocation, LedgerEntry, PointLot
from loyalty.ledger.results import Balance, Discrepancy, EntryResult, EntryView, ExpiryRun

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _require_points(points: int, *, name: str = "points") -> int:
    if isinstance(points, bool) or not isinstance(points, int):
        raise ValidationError(f"{name} must be an integer, got {points!r}")
    if points <= 0:
        raise ValidationError(f"{name} must be positive, got {points}")
    return points


class Ledger:
    """Idempotent points operations over PostgreSQL.

    Args:
        sessions: a session factory bound to the ledger database.
        clock: the source of "now"; injected so expiry can be tested.
    """

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def accrue(
        self,
        *,
        member_id: str,
        points: int,
        expires_at: dt.datetime,
        idempotency_key: str,
        reason: str = "accrual",
        actor: str = "system",
    ) -> EntryResult:
        """Credit ``points`` that expire at ``expires_at``."""
        _require_points(points)
        if expires_at.tzinfo is None:
            raise ValidationError("expires_at must carry a time zone")
        request = fingerprint("accrue", member=member_id, points=points, expires=expires_at)
        with self._transaction(member_id, idempotency_key, request) as op:
            if op.replay:
                return op.replay
            if expires_at <= self._clock():
                raise ValidationError(f"expires_at {expires_at.isoformat()} is not in the future")
            lot = op.new_lot(points, expires_at)
            return op.post(
                "accrue",
                points,
                0,
                lot_id=lot.id,
                expires_at=expires_at,
                reason=reason,
                actor=actor,
            )

    def hold(
        self, *, member_id: str, points: int, idempotency_key: str, reference: str = ""
    ) -> EntryResult:
        """Reserve ``points`` from the oldest-expiring unexpired lots.

        Raises:
            InsufficientPointsError: the member cannot cover ``points``.
        """
        _require_points(points)
        request = fingerprint("hold", member=member_id, points=points, reference=reference)
        with self._transaction(member_id, idempotency_key, request) as op:
            if op.replay:
                return op.replay
            taken = lots.consume(op.session, member_id, points, self._clock())
            hold = Hold(member_id=member_id, points=points, status="active", reference=reference)
            op.session.add(hold)
            op.session.flush()
            op.session.add_all(
                HoldAllocation(hold_id=hold.id, lot_id=lot.id, points=n) for lot, n in taken
            )
            return op.post("hold", -points, points, hold_id=hold.id, reason=reference)

    def release(self, *, hold_id: int, idempotency_key: str, reason: str = "") -> EntryResult:
        """Give an active hold's points back to the lots they came from."""
        member_id = self._member_of_hold(hold_id)
        request = fingerprint("release", hold=hold_id)
        with self._transaction(member_id, idempotency_key, request) as op:
            if op.replay:
                return op.replay
            hold = op.lock_hold(hold_id, expected_status="active")
            lots.restore(op.session, self._allocations(op.session, hold_id), hold.points)
            hold.status = "released"
            return op.post("release", hold.points, -hold.points, hold_id=hold_id, reason=reason)

    def capture(self, *, hold_id: int, idempotency_key: str, reason: str = "") -> EntryResult:
        """Spend an active hold: the held points leave the account for good."""
        member_id = self._member_of_hold(hold_id)
        request = fingerprint("capture", hold=hold_id)
        with self._transaction(member_id, idempotency_key, request) as op:
            if op.replay:
                return op.replay
            hold = op.lock_hold(hold_id, expected_status="active")
            hold.status = "captured"
            return op.post("capture", 0, -hold.points, hold_id=hold_id, reason=reason)

    def reverse(
        self, *, hold_id: int, points: int, idempotency_key: str, reason: str, actor: str
    ) -> EntryResult:
        """Return captured points (a refund) with their original expiry dates.

        Raises:
            InvalidStateError: the hold is not captured, or ``points`` exceeds what
                is left to reverse (concurrent refunds serialize on the account lock).
        """
        _require_points(points)
        member_id = self._member_of_hold(hold_id)
        request = fingerprint("reverse", hold=hold_id, points=points)
        with self._transaction(member_id, idempotency_key, request) as op:
            if op.replay:
                return op.replay
            hold = op.lock_hold(hold_id, expected_status="captured")
            left = hold.points - hold.reversed_points
            if points > left:
                raise InvalidStateError(
                    f"cannot reverse {points} points of hold {hold_id}: only {left} left",
                    reasons=[f"refund of {points} exceeds the {left} points still captured"],
                )
            lots.restore(op.session, self._allocations(op.session, hold_id), points)
            hold.reversed_points += points
            return op.post("reverse", points, 0, hold_id=hold_id, reason=reason, actor=actor)

    def adjust(
        self,
        *,
        member_id: str,
        points: int,
        reason: str,
        actor: str,
        idempotency_key: str,
        expires_at: dt.datetime | None = None,
    ) -> EntryResult:
        """A manual correction: a credit needs ``expires_at``; a debit spends FIFO."""
        if isinstance(points, bool) or not isinstance(points, int) or points == 0:
            raise ValidationError(f"points must be a non-zero integer, got {points!r}")
        if not reason.strip() or not actor.strip():
            raise ValidationError("an adjustment needs a reason and an actor")
        if points > 0 and (expires_at is None or expires_at.tzinfo is None):
            raise ValidationError("a credit adjustment needs a time-zone-aware expires_at")
        request = fingerprint("adjust", member=member_id, points=points, expires=expires_at)
        with self._transaction(member_id, idempotency_key, request) as op:
            if op.replay:
                return op.replay
            if points > 0 and expires_at is not None:
                lot = op.new_lot(points, expires_at)
                return op.post(
                    "adjust",
                    points,
                    0,
                    lot_id=lot.id,
                    expires_at=expires_at,
                    reason=reason,
                    actor=actor,
                )
            lots.consume(op.session, member_id, -points, self._clock())
            return op.post("adjust", points, 0, reason=reason, actor=actor)

    def expire(
        self, *, as_of: dt.datetime | None = None, member_id: str | None = None
    ) -> ExpiryRun:
        """Post an expiry entry for every lot past its date that still has points.

        One transaction per member keeps locks short. The key names the lot and
        its cumulative expired total, so re-running is a no-op while a lot that
        later regains points (a refund into an expired lot) expires again.
        """
        as_of = as_of or self._clock()
        due = select(PointLot.member_id).where(PointLot.expires_at <= as_of, PointLot.remaining > 0)
        if member_id is not None:
            due = due.where(PointLot.member_id == member_id)
        with self._sessions() as session:
            members = session.scalars(due.distinct().order_by(PointLot.member_id)).all()
        lots_expired = points_expired = 0
        for member_id in members:
            count, points = self._expire_member(member_id, as_of)
            lots_expired += count
            points_expired += points
        return ExpiryRun(
            lots_expired=lots_expired, points_expired=points_expired, members=len(members)
        )

    def find(self, *, idempotency_key: str) -> EntryResult | None:
        """The entry posted under ``idempotency_key``, if any (no fingerprint check)."""
        with self._sessions() as session:
            entry = entry_by_key(session, idempotency_key)
            return to_result(entry) if entry else None

    def balance(
        self,
        *,
        member_id: str,
        as_of: dt.datetime | None = None,
        expiring_within: dt.timedelta = dt.timedelta(days=30),
    ) -> Balance:
        with self._sessions() as session:
            return reads.get_balance(
                session,
                member_id=member_id,
                as_of=as_of or self._clock(),
                expiring_within=expiring_within,
            )

    def entries(
        self, *, member_id: str, limit: int = 50, before_id: int | None = None
    ) -> list[EntryView]:
        with self._sessions() as session:
            return reads.list_entries(
                session, member_id=member_id, limit=limit, before_id=before_id
            )

    def reconcile(self, *, member_id: str | None = None) -> list[Discrepancy]:
        with self._sessions() as session:
            return reconcile.reconcile(session, member_id=member_id)

    def _expire_member(self, member_id: str, as_of: dt.datetime) -> tuple[int, int]:
        with self._sessions.begin() as session:
            op = _Operation(session, _lock_account(session, member_id))
            due = session.scalars(
                select(PointLot)
                .where(
                    PointLot.member_id == member_id,
                    PointLot.expires_at <= as_of,
                    PointLot.remaining > 0,
                )
                .order_by(PointLot.expires_at, PointLot.id)
            ).all()
            total = 0
            for lot in due:
                points = lot.remaining
                lot.expired_points += points
                lot.remaining = 0
                op.key = f"expire:lot:{lot.id}:{lot.expired_points}"
                op.request_hash = fingerprint("expire", lot=lot.id, total=lot.expired_points)
                op.post(
                    "expire",
                    -points,
                    0,
                    lot_id=lot.id,
                    expires_at=lot.expires_at,
                    reason="points expired",
                )
                total += points
            return len(due), total

    def _member_of_hold(self, hold_id: int) -> str:
        with self._sessions() as session:
            member_id = session.scalar(select(Hold.member_id).where(Hold.id == hold_id))
        if member_id is None:
            raise NotFoundError(f"hold {hold_id} not found")
        return member_id

    @staticmethod
    def _allocations(session: Session, hold_id: int) -> list[HoldAllocation]:
        return list(
            session.scalars(select(HoldAllocation).where(HoldAllocation.hold_id == hold_id)).all()
        )

    @contextmanager
    def _transaction(self, member_id: str, key: str, request_hash: str) -> Iterator[_Operation]:
        """Begin, lock the account, look up the key; commit on success, else roll back.

        A key reused by another member's concurrent first call surfaces as a
        unique violation on insert; it is reported as the conflict it is.
        """
        require_key(key)
        with self._sessions() as session:
            try:
                with session.begin():
                    op = _Operation(session, _lock_account(session, member_id), key, request_hash)
                    op.replay = find_replay(session, key, request_hash)
                    yield op
            except IntegrityError as error:
                if _is_key_violation(error):
                    raise IdempotencyConflictError(
                        f"idempotency key {key!r} was already used with different arguments"
                    ) from error
                raise


def _is_key_violation(error: IntegrityError) -> bool:
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "constraint_name", None) == "ledger_entries_idempotency_key_key"


def _lock_account(session: Session, member_id: str) -> Account:
    account = session.scalars(
        select(Account).where(Account.member_id == member_id).with_for_update()
    ).first()
    if account is None:
        raise NotFoundError(f"member {member_id} not found")
    return account


class _Operation:
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

    def lock_hold(self, hold_id: int, *, expected_status: str) -> Hold:
        hold = self.session.scalars(select(Hold).where(Hold.id == hold_id).with_for_update()).one()
        if hold.status != expected_status:
            raise InvalidStateError(
                f"hold {hold_id} is {hold.status}, not {expected_status}",
                reasons=[f"hold is already {hold.status}"],
            )
        return hold

    def post(self, kind: str, delta_available: int, delta_held: int, **fields: Any) -> EntryResult:
        """Move the projection and append the entry that explains the move."""
        self.account.available += delta_available
        self.account.held += delta_held
        self.account.updated_at = utc_now()
        entry = LedgerEntry(
            member_id=self.account.member_id,
            kind=kind,
            delta_available=delta_available,
            delta_held=delta_held,
            available_after=self.account.available,
            held_after=self.account.held,
            idempotency_key=self.key,
            request_hash=self.request_hash,
            **fields,
        )
        self.session.add(entry)
        self.session.flush()
        return to_result(entry)

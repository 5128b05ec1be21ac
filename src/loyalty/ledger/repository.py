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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from loyalty.domain.credit_caps import CreditLimits
from loyalty.domain.earning import Earning
from loyalty.domain.expiry import ExpiryRules
from loyalty.domain.limits import SpendCeiling, ceiling_reasons
from loyalty.domain.tiers import MemberStatus, Tier
from loyalty.errors import (
    HoldCancelledError,
    IdempotencyConflictError,
    InvalidStateError,
    LimitExceededError,
    NotEligibleError,
    ValidationError,
)
from loyalty.ledger import (
    accruals,
    catalog,
    discretionary,
    expiry_care,
    lots,
    promotions,
    reads,
    reconcile,
    spend,
    stock,
)
from loyalty.ledger.idempotency import (
    entry_by_key,
    fingerprint,
    replay_of,
    require_key,
    to_result,
)
from loyalty.ledger.models import (
    Accrual,
    Hold,
    HoldAllocation,
    HoldTombstone,
    Member,
    PointLot,
)
from loyalty.ledger.operation import Operation, lock_account, lock_account_with_key, utc_now
from loyalty.ledger.promotions import CodeUse
from loyalty.ledger.results import (
    AccrualView,
    Balance,
    Discrepancy,
    EntryResult,
    EntryView,
    ExpiryRun,
    ReturnView,
)

Clock = Callable[[], dt.datetime]


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

    def pend(
        self,
        *,
        purchase: accruals.Purchase,
        tier: str,
        earning: Earning,
        available_at: dt.datetime,
        actor: str,
    ) -> AccrualView:
        """Record an order's points as pending until ``available_at`` (idempotent per order).

        Raises:
            IdempotencyConflictError: the order was posted before with another amount or currency.
        """
        request = fingerprint(
            "pend",
            member=purchase.member_id,
            order=purchase.order_id,
            amount=str(purchase.amount),
            currency=purchase.currency,
        )
        key = f"{purchase.accrual_id}:pend"
        with self._transaction(purchase.member_id, key, request) as op:
            return accruals.pend(
                op, purchase, tier=tier, earning=earning, available_at=available_at, actor=actor
            )

    def settle(self, *, member_id: str, accrual_id: str, expires_at: dt.datetime) -> AccrualView:
        """Make an accrual's pending points available (a no-op once settled or cancelled)."""
        request = fingerprint("settle", accrual=accrual_id)
        with self._transaction(member_id, f"{accrual_id}:settle", request) as op:
            accruals.settle(op, accrual_id, expires_at=expires_at, now=self._clock())
            return accruals.view(op.session.get_one(Accrual, accrual_id))

    def take_back(self, *, member_id: str, accrual_id: str, request: accruals.Return) -> ReturnView:
        """Post a return of an order: see ``loyalty.ledger.accruals.take_back``."""
        fp = fingerprint("take_back", accrual=accrual_id, amount=str(request.amount))
        with self._transaction(member_id, request.return_key, fp) as op:
            return accruals.take_back(op, accrual_id, request, now=self._clock())

    def accrual(self, *, accrual_id: str) -> AccrualView | None:
        with self._sessions() as session:
            return accruals.get(session, accrual_id)

    def expiring(
        self, *, member_id: str, within: dt.timedelta | None = None
    ) -> list[expiry_care.ExpiringPoints]:
        """Unexpired points by expiry date (only those within ``within``, if given)."""
        now = self._clock()
        with self._sessions() as session:
            catalog.get_member(session, member_id=member_id)
            until = now + within if within is not None else None
            return expiry_care.expiring(session, member_id=member_id, as_of=now, until=until)

    def record_notices(
        self,
        *,
        as_of: dt.datetime,
        days_before: tuple[int, ...],
        run_key: str,
        member_id: str | None = None,
    ) -> list[expiry_care.Notice]:
        """Record the advance notices due at ``as_of``; every one ``run_key`` recorded."""
        with self._sessions.begin() as session:
            return expiry_care.record_notices(
                session, as_of=as_of, days_before=days_before, run_key=run_key, member_id=member_id
            )

    def extend_expiry(
        self,
        *,
        member_id: str,
        expires_on: dt.date,
        days: int,
        rules: ExpiryRules,
        staff: expiry_care.Staff,
        idempotency_key: str,
    ) -> expiry_care.Extension:
        """Push back the expiry of the points due on ``expires_on`` (see ``expiry_care``)."""
        request = fingerprint("extend", member=member_id, on=expires_on, days=days)
        with self._transaction(member_id, idempotency_key, request) as op:
            tier = Tier(catalog.get_member(op.session, member_id=member_id).tier)
            return expiry_care.extend(
                op,
                key=idempotency_key,
                expires_on=expires_on,
                days=days,
                tier=tier,
                rules=rules,
                staff=staff,
                now=self._clock(),
            )

    def reinstate(
        self,
        *,
        member_id: str,
        rules: ExpiryRules,
        approval_thresholds: Mapping[Tier, int],
        staff: expiry_care.Staff,
        idempotency_key: str,
    ) -> tuple[int, bool]:
        """Reinstate recently expired points; (points, replayed)."""
        request = fingerprint("reinstate", member=member_id)
        with self._transaction(member_id, idempotency_key, request) as op:
            if op.replay:
                return op.replay.delta_available, True
            tier = Tier(catalog.get_member(op.session, member_id=member_id).tier)
            points = expiry_care.reinstate(
                op,
                tier=tier,
                rules=rules,
                approval_threshold=approval_thresholds[tier],
                staff=staff,
                now=self._clock(),
            )
            return points, False

    def hold(
        self,
        *,
        member_id: str,
        points: int,
        idempotency_key: str,
        reference: str = "",
        reward_id: str | None = None,
        units: int = 0,
        ceiling: SpendCeiling | None = None,
        promo_code: CodeUse | None = None,
    ) -> EntryResult:
        """Reserve ``points`` from the oldest-expiring unexpired lots, and ``units`` of stock.

        With ``promo_code``, count one use of the code in the same transaction,
        under the account lock, so two redemptions cannot both use a code the
        member may use once (POL-PROMO-001).

        With ``ceiling``, refuse a hold that would take the member's redeemed
        points (``loyalty.ledger.spend``) past it; the account lock makes the
        check and the hold one step, so racing redemptions cannot both fit.

        Raises:
            HoldCancelledError: a release already came for this key (the saga gave up).
            LimitExceededError: the hold would pass the daily or monthly ceiling.
            PromoCodeUsedError: the member has used the code up.
            InsufficientPointsError: the member cannot cover ``points``.
            OutOfStockError: the reward has fewer than ``units`` left.
            NotEligibleError: the account is frozen (POL-SECURITY-001).
        """
        _require_points(points)
        # Stock joins the fingerprint only when reserved, so a retry of a hold made
        # before stock was tracked still matches its stored fingerprint.
        with_stock = {"reward": reward_id, "units": units} if reward_id and units else {}
        request = fingerprint(
            "hold", member=member_id, points=points, reference=reference, **with_stock
        )
        with self._transaction(member_id, idempotency_key, request) as op:
            if op.replay:
                return op.replay
            _require_holdable(op.session, member_id, idempotency_key)
            if ceiling is not None:
                _check_ceiling(op.session, member_id, points, ceiling, now=self._clock())
            if promo_code is not None:
                promotions.record_code_use(
                    op.session,
                    redemption_id=reference or idempotency_key,
                    member_id=member_id,
                    promo_code=promo_code.code,
                    promotion_ref=(promo_code.promotion_id, promo_code.version),
                    allowed=promo_code.allowed,
                )
            taken = lots.consume(op.session, member_id, points, self._clock())
            if reward_id is not None and units:
                stock.take(op.session, reward_id=reward_id, units=units)
            hold = Hold(
                member_id=member_id,
                points=points,
                status="active",
                reference=reference,
                reward_id=reward_id,
                units=units,
            )
            op.session.add(hold)
            op.session.flush()
            op.session.add_all(
                HoldAllocation(hold_id=hold.id, lot_id=lot.id, points=n) for lot, n in taken
            )
            return op.post("hold", -points, points, hold_id=hold.id, reason=reference)

    def release(self, *, hold_id: int, idempotency_key: str, reason: str = "") -> EntryResult:
        """Give an active hold's points back to the lots they came from."""
        request = fingerprint("release", hold=hold_id)
        with self._transaction(None, idempotency_key, request, hold_id=hold_id) as op:
            if op.replay:
                return op.replay
            hold = op.lock_hold(hold_id, expected_status="active")
            return _release(op, hold, reason=reason)

    def release_key(
        self, *, member_id: str, hold_key: str, idempotency_key: str, reason: str = ""
    ) -> EntryResult | None:
        """Release the hold made under ``hold_key``; None when there is nothing to release.

        When no hold was made under the key yet, a tombstone is written under the
        account lock, so a hold arriving late under that key is refused instead
        of stranding the points. A hold already released (by the sweeper, say)
        is left as it is.

        Raises:
            InvalidStateError: the hold was captured: a release cannot undo that.
        """
        request = fingerprint("release", key=hold_key)
        with self._transaction(member_id, idempotency_key, request) as op:
            if op.replay:
                return op.replay
            entry = entry_by_key(op.session, hold_key)
            if entry is None or entry.hold_id is None:
                _tombstone(op, hold_key, reason=reason)
                return None
            hold = op.lock_hold(entry.hold_id, expected_status=None)
            if hold.status == "released":
                return None
            if hold.status != "active":
                raise InvalidStateError(
                    f"hold {hold.id} is {hold.status}; it cannot be released",
                    reasons=[f"hold is already {hold.status}"],
                )
            return _release(op, hold, reason=reason)

    def capture(self, *, hold_id: int, idempotency_key: str, reason: str = "") -> EntryResult:
        """Spend an active hold: the held points leave the account for good."""
        request = fingerprint("capture", hold=hold_id)
        with self._transaction(None, idempotency_key, request, hold_id=hold_id) as op:
            if op.replay:
                return op.replay
            hold = op.lock_hold(hold_id, expected_status="active")
            hold.status = "captured"
            return op.post("capture", 0, -hold.points, hold_id=hold_id, reason=reason)

    def reverse(
        self,
        *,
        hold_id: int,
        points: int,
        idempotency_key: str,
        reason: str,
        actor: str,
        units: int = 0,
        session: Session | None = None,
    ) -> EntryResult:
        """Return captured points (a refund) with their original expiry dates, and ``units``.

        Pass ``session`` to post inside the caller's transaction (a refund records
        itself in the same one); otherwise the reversal commits on its own.

        Raises:
            InvalidStateError: the hold is not captured, or ``points`` or ``units``
                exceed what is left to reverse (refunds serialize on the account lock).
        """
        _require_points(points)
        with_units = {"units": units} if units else {}
        request = fingerprint("reverse", hold=hold_id, points=points, **with_units)
        with self._transaction(
            None, idempotency_key, request, hold_id=hold_id, session=session
        ) as op:
            if op.replay:
                return op.replay
            hold = op.lock_hold(hold_id, expected_status="captured")
            left = hold.points - hold.reversed_points
            if points > left:
                raise InvalidStateError(
                    f"cannot reverse {points} points of hold {hold_id}: only {left} left",
                    reasons=[f"refund of {points} exceeds the {left} points still captured"],
                )
            lots.restore(op.session, _allocations(op.session, hold_id), points)
            hold.reversed_points += points
            stock.restock(op.session, hold, units=units)
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
        caps: CreditLimits | None = None,
        approved_by_person: bool = False,
    ) -> EntryResult:
        """A manual correction: a credit needs ``expires_at``; a debit spends FIFO.

        With ``caps`` (an assisted goodwill or retention credit, whose ``reason``
        carries its marker), the member's cap and the program's budgets are
        checked under the account and budget locks before it posts.

        Raises:
            CapReachedError: the credit would pass a cap in ``caps``.
        """
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
            if caps is not None:
                discretionary.check_grant(
                    op.session,
                    member_id=member_id,
                    points=points,
                    limits=caps,
                    now=self._clock(),
                    approved_by_person=approved_by_person,
                )
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
        self,
        *,
        notice_days_before: tuple[int, ...],
        as_of: dt.datetime | None = None,
        member_id: str | None = None,
    ) -> ExpiryRun:
        """Post an expiry entry for every lot past its date that still has points,
        once the member was sent every advance notice (``notice_days_before``) for it;
        a lot owed a notice is postponed instead (``expiry_care.ready_to_expire``),
        before its date when the notice's day has passed.

        One transaction per member keeps locks short. The key names the lot and
        its cumulative expired total, so re-running is a no-op while a lot that
        later regains points (a refund into an expired lot) expires again.
        """
        as_of = as_of or self._clock()
        due = select(PointLot.member_id).where(expiry_care.needs_the_run(as_of, notice_days_before))
        if member_id is not None:
            due = due.where(PointLot.member_id == member_id)
        with self._sessions() as session:
            members = session.scalars(due.distinct().order_by(PointLot.member_id)).all()
        lots_expired = points_expired = lots_postponed = affected = 0
        for member_id in members:
            count, points, postponed = self._expire_member(member_id, as_of, notice_days_before)
            lots_expired += count
            points_expired += points
            lots_postponed += postponed
            affected += bool(count or postponed)
        return ExpiryRun(
            lots_expired=lots_expired,
            points_expired=points_expired,
            members=affected,
            lots_postponed=lots_postponed,
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
        """Accounts (one, or all) and, for the whole ledger, reward stock."""
        with self._sessions() as session:
            found = reconcile.reconcile(session, member_id=member_id)
            if member_id is None:
                found += reconcile.reconcile_stock(session)
            return found

    def _expire_member(
        self, member_id: str, as_of: dt.datetime, notice_days_before: tuple[int, ...]
    ) -> tuple[int, int, int]:
        with self._sessions.begin() as session:
            op = Operation(session, lock_account(session, member_id))
            lots = expiry_care.lots_needing_the_run(
                session, as_of=as_of, notice_days_before=notice_days_before, member_id=member_id
            )
            due, postponed = expiry_care.ready_to_expire(
                session, lots, as_of=as_of, notice_days_before=notice_days_before
            )
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
            return len(due), total, postponed

    @contextmanager
    def _transaction(
        self,
        member_id: str | None,
        key: str,
        request_hash: str,
        *,
        hold_id: int | None = None,
        session: Session | None = None,
    ) -> Iterator[Operation]:
        """Begin, lock the account, look up the key; commit on success, else roll back.

        The account is the member's, or with ``hold_id`` (and no member) the hold's owner's.
        With ``session``, join the caller's transaction instead (the caller commits).
        A key reused by another member's concurrent first call surfaces as a
        unique violation on insert; it is reported as the conflict it is.
        """
        require_key(key)
        try:
            if session is not None:
                yield _operation(session, key, request_hash, member_id, hold_id)
                return
            with self._sessions() as own, own.begin():
                yield _operation(own, key, request_hash, member_id, hold_id)
        except IntegrityError as error:
            if _is_key_violation(error):
                raise IdempotencyConflictError(
                    f"idempotency key {key!r} was already used with different arguments"
                ) from error
            raise


def _operation(
    session: Session, key: str, request_hash: str, member_id: str | None, hold_id: int | None
) -> Operation:
    locked = lock_account_with_key(session, key, member_id=member_id, hold_id=hold_id)
    op = Operation(session, locked.account, key, request_hash, hold=locked.hold)
    op.replay = replay_of(locked.entry, key, request_hash)
    return op


def _allocations(session: Session, hold_id: int) -> list[HoldAllocation]:
    return list(
        session.scalars(select(HoldAllocation).where(HoldAllocation.hold_id == hold_id)).all()
    )


def _release(op: Operation, hold: Hold, *, reason: str) -> EntryResult:
    """Give an active hold's points back to their lots and its units back to stock."""
    lots.restore(op.session, _allocations(op.session, hold.id), hold.points)
    stock.give_back(op.session, hold)
    hold.status = "released"
    return op.post("release", hold.points, -hold.points, hold_id=hold.id, reason=reason)


def _require_holdable(session: Session, member_id: str, hold_key: str) -> None:
    """Refuse a hold released before it was made, or for a frozen account (one statement).

    Read under the account lock, in a statement after it: a release (its tombstone) or a
    freeze committed while this hold waited for the lock is seen. A freeze may land after
    a redemption was decided; the hold is the last moment before points move, so a frozen
    account never has points reserved.
    """
    released, status = session.execute(
        select(
            exists().where(HoldTombstone.hold_key == hold_key),
            select(Member.status).where(Member.id == member_id).scalar_subquery(),
        )
    ).one()
    if released:
        raise HoldCancelledError(
            f"hold {hold_key} was released before it was made",
            reasons=["the redemption was cancelled before its points were reserved"],
        )
    if status == MemberStatus.FROZEN.value:
        message = f"member {member_id} is frozen (POL-SECURITY-001): it cannot redeem"
        raise NotEligibleError(message, reasons=[message])


def _check_ceiling(
    session: Session, member_id: str, points: int, ceiling: SpendCeiling, *, now: dt.datetime
) -> None:
    spent = spend.redeemed_points(session, member_id=member_id, now=now)
    broken = ceiling_reasons(
        points, spent_today=spent.today, spent_this_month=spent.this_month, ceiling=ceiling
    )
    if broken:
        messages = [reason.message for reason in broken]
        raise LimitExceededError(messages[0], reasons=messages)


def _tombstone(op: Operation, hold_key: str, *, reason: str) -> None:
    """Remember that ``hold_key`` was released before any hold (idempotent)."""
    op.session.execute(
        insert(HoldTombstone)
        .values(hold_key=hold_key, member_id=op.account.member_id, reason=reason)
        .on_conflict_do_nothing(index_elements=[HoldTombstone.hold_key])
    )


def _is_key_violation(error: IntegrityError) -> bool:
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "constraint_name", None) == "ledger_entries_idempotency_key_key"

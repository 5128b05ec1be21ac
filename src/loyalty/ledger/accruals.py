"""Earning with a pending period, inside the account lock the repository takes.

Three buckets move, each explained by an entry (see ``models.ENTRY_KINDS``):

- ``pend``:     +pending.  A purchase earned points; nobody can spend them yet.
- ``settle``:   -pending, +available (a new lot), -owed for what repays an
                earlier shortfall. The legs sum to zero: points only change bucket.
- ``unpend``:   -pending.  A return during the pending period.
- ``clawback``: -available, +owed. A return after the points became available:
                taken from the order's own lot first, then oldest-expiring first;
                what the member already spent becomes ``owed`` (POL-REFUND-001:
                balances never go below zero, the shortfall is recovered from
                future earning and the member is told), never a negative balance.

Every function here runs in the caller's transaction with the member's
account row locked, so a settlement and a return of the same order serialize
and whichever comes second sees what the first did.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.domain.earning import CAPPED_POINTS, Earning, points_to_take_back
from loyalty.errors import IdempotencyConflictError, InvalidStateError, NotFoundError
from loyalty.ledger import capped, lots
from loyalty.ledger.models import Accrual, AccrualReturn, PointLot
from loyalty.ledger.results import AccrualView, ReturnView

if TYPE_CHECKING:
    from loyalty.ledger.operation import Operation


@dataclasses.dataclass(frozen=True, kw_only=True)
class Purchase:
    """One order as an integration reported it."""

    accrual_id: str
    member_id: str
    order_id: str
    source: str
    amount: Decimal
    currency: str


def pend(
    op: Operation,
    purchase: Purchase,
    *,
    tier: str,
    earning: Earning,
    available_at: dt.datetime,
    actor: str,
) -> AccrualView:
    """Record the order's points as pending (idempotent: a repeat returns the first record)."""
    existing = op.session.get(Accrual, purchase.accrual_id)
    if existing is not None:
        return _same_purchase(existing, purchase)
    accrual = Accrual(
        id=purchase.accrual_id,
        member_id=purchase.member_id,
        order_id=purchase.order_id,
        source=purchase.source,
        amount=purchase.amount,
        currency=purchase.currency,
        tier=tier,
        base_points=earning.base_points,
        multiplier=earning.multiplier,
        points=earning.points,
        capped_by=list(earning.capped_by),
        points_before_cap=(
            earning.points_before_cap if CAPPED_POINTS in earning.capped_by else None
        ),
        pending_points=earning.points,
        settled_points=0,
        taken_back_points=0,
        returned_amount=Decimal(0),
        status="pending",
        available_at=available_at,
    )
    op.session.add(accrual)
    op.session.flush()
    capped.flag(op.session, accrual, actor=actor)
    if earning.points:
        op.post(
            "pend",
            0,
            0,
            delta_pending=earning.points,
            reason=f"order {purchase.order_id}: pending until {available_at.date().isoformat()}",
            actor=actor,
        )
    return view(accrual)


def settle(op: Operation, accrual_id: str, *, expires_at: dt.datetime, now: dt.datetime) -> None:
    """Make what is still pending available; first repay what the member owes."""
    accrual = _get(op.session, accrual_id)
    if accrual.status != "pending":
        return
    points = accrual.pending_points
    # Still pending here means not fully returned, so something (maybe 0 points) is settled.
    accrual.status = "available"
    accrual.settled_at = now
    if not points:
        return
    recovered = min(op.account.owed, points)
    credit = points - recovered
    lot = op.new_lot(credit, expires_at) if credit else None
    accrual.pending_points = 0
    accrual.settled_points += points
    accrual.lot_id = lot.id if lot else None
    reason = f"order {accrual.order_id}: pending period over"
    if recovered:
        reason += f"; {recovered} points repay an earlier shortfall"
    op.post(
        "settle",
        credit,
        0,
        delta_pending=-points,
        delta_owed=-recovered,
        lot_id=lot.id if lot else None,
        expires_at=expires_at if lot else None,
        reason=reason,
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Return:
    """A return of all (``amount`` None: what is left) or part of an order."""

    return_key: str
    amount: Decimal | None
    reason: str
    actor: str


def take_back(op: Operation, accrual_id: str, request: Return, *, now: dt.datetime) -> ReturnView:
    """Take back the points a return cancels: from pending, or from available and then owed.

    Raises:
        NotFoundError: no such accrual.
        IdempotencyConflictError: the return key was used with another amount.
        InvalidStateError: nothing is left to return.
    """
    accrual = _get(op.session, accrual_id)
    done = op.session.get(AccrualReturn, request.return_key)
    if done is not None:
        if request.amount is not None and done.amount != request.amount:
            raise IdempotencyConflictError(
                f"return {request.return_key} was already posted for {done.amount}",
                reasons=["amount differs from the first request"],
            )
        return _return_view(done, accrual, replayed=True)
    left = accrual.amount - accrual.returned_amount
    if left <= 0:
        raise InvalidStateError(
            f"order {accrual.order_id} is fully returned", reasons=["nothing left to return"]
        )
    amount = left if request.amount is None else request.amount
    points = points_to_take_back(
        points=accrual.points,
        amount=accrual.amount,
        returned_before=accrual.returned_amount,
        returned_now=amount,
    )
    accrual.returned_amount += amount
    # Conserved at every flush: pending + settled + taken back = points.
    accrual.taken_back_points += points
    if accrual.status == "pending":
        split = _from_pending(op, accrual, points, request)
    else:
        split = _from_available(op, accrual, points, request, now=now)
    if accrual.returned_amount == accrual.amount:
        accrual.status = "cancelled" if accrual.status == "pending" else "reversed"
    row = AccrualReturn(
        id=request.return_key,
        accrual_id=accrual.id,
        amount=amount,
        points=points,
        from_pending=split[0],
        from_available=split[1],
        shortfall=split[2],
        reason=request.reason,
        actor=request.actor,
    )
    op.session.add(row)
    op.session.flush()
    return _return_view(row, accrual, replayed=False)


def _from_pending(
    op: Operation, accrual: Accrual, points: int, request: Return
) -> tuple[int, int, int]:
    accrual.pending_points -= points
    if points:
        op.post(
            "unpend",
            0,
            0,
            delta_pending=-points,
            reason=f"order {accrual.order_id} returned before its points were available",
            actor=request.actor,
        )
    return points, 0, 0


def _from_available(
    op: Operation, accrual: Accrual, points: int, request: Return, *, now: dt.datetime
) -> tuple[int, int, int]:
    accrual.settled_points -= points
    if not points:
        return 0, 0, 0
    own = op.session.get(PointLot, accrual.lot_id) if accrual.lot_id else None
    taken = lots.take_up_to(op.session, op.account.member_id, points, now, first=own)
    shortfall = points - taken
    reason = f"order {accrual.order_id} returned after its points were available"
    if shortfall:
        reason += f"; {shortfall} points already spent are owed"
    op.post(
        "clawback",
        -taken,
        0,
        delta_owed=shortfall,
        reason=reason,
        actor=request.actor,
    )
    return 0, taken, shortfall


def get(session: Session, accrual_id: str) -> AccrualView | None:
    accrual = session.get(Accrual, accrual_id)
    return view(accrual) if accrual else None


def member_accruals(session: Session, member_id: str, *, limit: int = 50) -> list[AccrualView]:
    rows = session.scalars(
        select(Accrual)
        .where(Accrual.member_id == member_id)
        .order_by(Accrual.created_at.desc())
        .limit(limit)
    )
    return [view(row) for row in rows]


def _get(session: Session, accrual_id: str) -> Accrual:
    accrual = session.get(Accrual, accrual_id)
    if accrual is None:
        raise NotFoundError(f"accrual {accrual_id} not found")
    return accrual


def _same_purchase(existing: Accrual, purchase: Purchase) -> AccrualView:
    differ = [
        name
        for name, old, new in (
            ("amount", existing.amount, purchase.amount),
            ("currency", existing.currency, purchase.currency),
        )
        if old != new
    ]
    if differ:
        raise IdempotencyConflictError(
            f"order {purchase.order_id} was already posted with another {', '.join(differ)}",
            reasons=[f"{name} differs from the first request" for name in differ],
        )
    return view(existing)


def view(accrual: Accrual) -> AccrualView:
    return AccrualView(
        accrual_id=accrual.id,
        member_id=accrual.member_id,
        order_id=accrual.order_id,
        amount=accrual.amount,
        currency=accrual.currency,
        tier=accrual.tier,
        base_points=accrual.base_points,
        multiplier=accrual.multiplier,
        points=accrual.points,
        capped_by=tuple(accrual.capped_by),
        pending_points=accrual.pending_points,
        points_before_cap=accrual.points_before_cap,
        settled_points=accrual.settled_points,
        taken_back_points=accrual.taken_back_points,
        returned_amount=accrual.returned_amount,
        status=accrual.status,
        available_at=accrual.available_at,
        settled_at=accrual.settled_at,
    )


def _return_view(row: AccrualReturn, accrual: Accrual, *, replayed: bool) -> ReturnView:
    return ReturnView(
        return_key=row.id,
        amount=row.amount,
        points=row.points,
        from_pending=row.from_pending,
        from_available=row.from_available,
        shortfall=row.shortfall,
        accrual=view(accrual),
        replayed=replayed,
    )

"""Refunds of completed redemptions: the plan from the stored record, and the posting.

The posting is one transaction: under a row lock on the redemption it reverses
the capture (points back to their lots, units back to stock), writes the
refund row (keyed by the refund workflow id), raises the redemption's refunded
totals and appends the audit row; a retry finds the refund row and returns it.
Points are bounded twice: by the plan (units left), and in the ledger by what
the hold captured.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from loyalty.domain.refunds import RefundableRedemption, RefundPlan, plan_refund
from loyalty.errors import InvalidStateError
from loyalty.ledger import audit
from loyalty.ledger.models import Redemption, Refund
from loyalty.ledger.redemptions import get_redemption
from loyalty.ledger.repository import Ledger


@dataclass(frozen=True, slots=True)
class PostedRefund:
    points: int
    units: int
    total_refunded_points: int
    closes_redemption: bool


def plan(
    session: Session, *, redemption_id: str, units: int | None
) -> tuple[Redemption, RefundPlan]:
    """The stored redemption and the plan for refunding ``units`` of it."""
    redemption = get_redemption(session, redemption_id=redemption_id)
    return redemption, plan_refund(_refundable(redemption), units=units)


def completed_at(redemption: Redemption) -> dt.datetime:
    """When the saga finished the redemption (its recorded ``finished_at``)."""
    finished = redemption.outcome.get("finished_at") if redemption.outcome else None
    return dt.datetime.fromisoformat(finished) if finished else redemption.updated_at


def post_refund(
    sessions: sessionmaker[Session],
    ledger: Ledger,
    *,
    redemption_id: str,
    refund_id: str,
    units: int | None,
    hold_key: str,
    idempotency_key: str,
    reason: str,
    actor: str,
    actor_role: str,
) -> PostedRefund:
    """Reverse the capture for the planned points and record the refund; safe to repeat."""
    with sessions.begin() as session:
        redemption = get_redemption(session, redemption_id=redemption_id, lock=True)
        done = session.get(Refund, refund_id)
        if done is not None:
            return _posted(redemption, done)
        refund_plan = plan_refund(_refundable(redemption), units=units)
        ledger.reverse(
            hold_id=_hold_id(ledger, hold_key),
            points=refund_plan.points,
            units=refund_plan.units,
            idempotency_key=idempotency_key,
            reason=reason,
            actor=actor,
            session=session,
        )
        refund = Refund(
            id=refund_id,
            redemption_id=redemption.id,
            points=refund_plan.points,
            quantity=refund_plan.units,
            reason=reason,
            actor=actor,
        )
        session.add(refund)
        audit.record(
            session,
            actor=actor,
            role=actor_role,
            action="refund",
            target=redemption.id,
            reason=reason,
            details={"points": refund_plan.points, "quantity": refund_plan.units},
        )
        redemption.refunded_points += refund_plan.points
        redemption.refunded_quantity += refund_plan.units
        return _posted(redemption, refund)


def _refundable(redemption: Redemption) -> RefundableRedemption:
    return RefundableRedemption(
        redemption_id=redemption.id,
        status=redemption.status,
        quantity=redemption.quantity,
        points=redemption.points,
        refunded_quantity=redemption.refunded_quantity,
        refunded_points=redemption.refunded_points,
    )


def _hold_id(ledger: Ledger, key: str) -> int:
    hold = ledger.find(idempotency_key=key)
    if hold is None or hold.hold_id is None:
        raise InvalidStateError(f"no captured hold under {key}")
    return hold.hold_id


def _posted(redemption: Redemption, refund: Refund) -> PostedRefund:
    return PostedRefund(
        points=refund.points,
        units=refund.quantity,
        total_refunded_points=redemption.refunded_points,
        closes_redemption=redemption.refunded_quantity == redemption.quantity,
    )

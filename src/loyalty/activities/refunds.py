"""Refund steps: plan a refund of a completed redemption, then reverse its capture.

The refund row (keyed by the refund workflow id) is written in the same
transaction that raises the redemption's refunded totals, under a row lock on
the redemption; a retry finds the row and replays. Points are bounded twice:
here by quantity, and in the ledger by what the hold captured.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.contracts.redemption import (
    PREPARE_REFUND,
    REFUND_POINTS,
    PrepareRefund,
    RefundPlan,
    RefundPoints,
    RefundRecorded,
    Step,
    step_key,
)
from loyalty.errors import InvalidStateError
from loyalty.ledger.models import AuditRecord, Redemption, Refund
from loyalty.ledger.redemptions import get_redemption
from loyalty.ledger.repository import Ledger


def plan_refund(redemption: Redemption, quantity: int | None) -> RefundPlan:
    """Points for ``quantity`` units: a share rounded down; the last units take the rest."""
    if redemption.status != "completed":
        raise InvalidStateError(
            f"redemption {redemption.id} is {redemption.status}; only completed ones refund",
            reasons=[f"redemption is {redemption.status}, not completed"],
        )
    left_units = redemption.quantity - redemption.refunded_quantity
    units = left_units if quantity is None else quantity
    if left_units == 0 or units > left_units:
        raise InvalidStateError(
            f"cannot refund {units} of redemption {redemption.id}: {left_units} units left",
            reasons=[f"only {left_units} units are left to refund"],
        )
    left_points = redemption.points - redemption.refunded_points
    closes = units == left_units
    points = left_points if closes else redemption.points * units // redemption.quantity
    return RefundPlan(
        redemption_id=redemption.id,
        member_id=redemption.member_id,
        hold_key=step_key(redemption.id, Step.RESERVE_POINTS),
        fulfillment_key=step_key(redemption.id, Step.FULFILL_REWARD),
        points=points,
        quantity=units,
        voids_voucher=closes,
    )


class RefundActivities:
    def __init__(self, *, sessions: sessionmaker[Session], ledger: Ledger) -> None:
        self._sessions = sessions
        self._ledger = ledger

    @activity.defn(name=PREPARE_REFUND)
    @business_errors
    def prepare_refund(self, request: PrepareRefund) -> RefundPlan:
        with self._sessions() as session:
            redemption = get_redemption(session, redemption_id=request.redemption_id)
            return plan_refund(redemption, request.quantity)

    @activity.defn(name=REFUND_POINTS)
    @business_errors
    def refund_points(self, request: RefundPoints) -> RefundRecorded:
        with self._sessions.begin() as session:
            redemption = get_redemption(session, redemption_id=request.redemption_id, lock=True)
            done = session.get(Refund, request.refund_id)
            if done is not None:
                return _recorded(redemption, done)
            plan = plan_refund(redemption, request.quantity)
            self._ledger.reverse(
                hold_id=self._hold_id(request.hold_key),
                points=plan.points,
                idempotency_key=request.idempotency_key,
                reason=request.reason,
                actor=request.actor,
            )
            session.add(
                refund := Refund(
                    id=request.refund_id,
                    redemption_id=redemption.id,
                    points=plan.points,
                    quantity=plan.quantity,
                    reason=request.reason,
                    actor=request.actor,
                )
            )
            session.add(
                AuditRecord(
                    actor=request.actor,
                    role=request.actor_role,
                    action="refund",
                    target=redemption.id,
                    reason=request.reason,
                    details={"points": plan.points, "quantity": plan.quantity},
                )
            )
            redemption.refunded_points += plan.points
            redemption.refunded_quantity += plan.quantity
            return _recorded(redemption, refund)

    def _hold_id(self, key: str) -> int:
        hold = self._ledger.find(idempotency_key=key)
        if hold is None or hold.hold_id is None:
            raise InvalidStateError(f"no captured hold under {key}")
        return hold.hold_id


def _recorded(redemption: Redemption, refund: Refund) -> RefundRecorded:
    return RefundRecorded(
        points_refunded=refund.points,
        quantity_refunded=refund.quantity,
        total_refunded_points=redemption.refunded_points,
        closes_redemption=redemption.refunded_quantity == redemption.quantity,
    )

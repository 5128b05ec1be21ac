"""Refund steps: plan a refund of a completed redemption, then post it (see ``ledger.refunds``)."""

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
from loyalty.ledger import refunds
from loyalty.ledger.repository import Ledger


class RefundActivities:
    def __init__(self, *, sessions: sessionmaker[Session], ledger: Ledger) -> None:
        self._sessions = sessions
        self._ledger = ledger

    @activity.defn(name=PREPARE_REFUND)
    @business_errors
    def prepare_refund(self, request: PrepareRefund) -> RefundPlan:
        with self._sessions() as session:
            redemption, plan = refunds.plan(
                session, redemption_id=request.redemption_id, units=request.quantity
            )
        return RefundPlan(
            redemption_id=redemption.id,
            member_id=redemption.member_id,
            hold_key=step_key(redemption.id, Step.RESERVE_POINTS),
            fulfillment_key=step_key(redemption.id, Step.FULFILL_REWARD),
            points=plan.points,
            quantity=plan.units,
            voids_voucher=plan.closes,
        )

    @activity.defn(name=REFUND_POINTS)
    @business_errors
    def refund_points(self, request: RefundPoints) -> RefundRecorded:
        posted = refunds.post_refund(
            self._sessions,
            self._ledger,
            redemption_id=request.redemption_id,
            refund_id=request.refund_id,
            units=request.quantity,
            hold_key=request.hold_key,
            idempotency_key=request.idempotency_key,
            reason=request.reason,
            actor=request.actor,
            actor_role=request.actor_role,
        )
        return RefundRecorded(
            points_refunded=posted.points,
            quantity_refunded=posted.units,
            total_refunded_points=posted.total_refunded_points,
            closes_redemption=posted.closes_redemption,
        )

"""Refund steps: plan a refund of a completed redemption, then post it (see ``ledger.refunds``).

The plan says whether loyalty operations must approve first (POL-REFUND-001's
window and automatic maximum, from the policies in force).
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
from loyalty.domain.refunds import review_reasons
from loyalty.ledger import refunds
from loyalty.ledger.operation import utc_now
from loyalty.ledger.repository import Clock, Ledger
from loyalty.policies.book import PolicyBook


class RefundActivities:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ledger: Ledger,
        policies: PolicyBook,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._ledger = ledger
        self._policies = policies
        self._clock = clock

    @activity.defn(name=PREPARE_REFUND)
    @business_errors
    def prepare_refund(self, request: PrepareRefund) -> RefundPlan:
        with self._sessions() as session:
            redemption, plan = refunds.plan(
                session, redemption_id=request.redemption_id, units=request.quantity
            )
        rules = self._policies.refund_rules()
        reasons = review_reasons(
            plan, completed_at=refunds.completed_at(redemption), now=self._clock(), rules=rules
        )
        return RefundPlan(
            redemption_id=redemption.id,
            member_id=redemption.member_id,
            hold_key=step_key(redemption.id, Step.RESERVE_POINTS),
            fulfillment_key=step_key(redemption.id, Step.FULFILL_REWARD),
            points=plan.points,
            quantity=plan.units,
            voids_voucher=plan.closes,
            review_reasons=list(reasons),
            approval_timeout_s=rules.approval_hours * 3600.0,
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

"""The Refund saga: give back all or part of a completed redemption.

Points first, voucher second: the refund of points is the authoritative step
(bounded by quantity under a row lock, and by the capture in the ledger), and
only a refund that closes the redemption voids the partner voucher. A refusal
(not completed, nothing left, too many units) fails the workflow with its type.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts import redemption as act
    from loyalty.contracts.redemption import REFUND_WORKFLOW, RefundRequest, RefundResult
    from loyalty.contracts.webhooks import PUBLISH_EVENT, EventType, WebhookEvent, event_id
    from loyalty.workflows.options import BEST_EFFORT, CHECK, LEDGER, PARTNER
    from loyalty.workflows.webhook_fanout import DURABLE_FANOUT_PATCH, fan_out


@workflow.defn(name=REFUND_WORKFLOW)
class RefundWorkflow:
    @workflow.run
    async def run(self, request: RefundRequest) -> RefundResult:
        refund_id = workflow.info().workflow_id
        try:
            plan = await workflow.execute_activity(
                act.PREPARE_REFUND,
                act.PrepareRefund(redemption_id=request.redemption_id, quantity=request.quantity),
                result_type=act.RefundPlan,
                **CHECK.kwargs(),
            )
            recorded = await workflow.execute_activity(
                act.REFUND_POINTS,
                act.RefundPoints(
                    redemption_id=request.redemption_id,
                    refund_id=refund_id,
                    hold_key=plan.hold_key,
                    points=plan.points,
                    quantity=plan.quantity,
                    idempotency_key=f"{refund_id}:reverse",
                    reason=request.reason,
                    actor=request.actor,
                    actor_role=request.actor_role,
                ),
                result_type=act.RefundRecorded,
                **LEDGER.kwargs(),
            )
        except ActivityError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError):
                raise ApplicationError(
                    cause.message, *cause.details, type=cause.type, non_retryable=True
                ) from error
            raise
        voided = recorded.closes_redemption and await self._void(plan.fulfillment_key)
        result = RefundResult(
            redemption_id=request.redemption_id,
            refund_id=refund_id,
            points_refunded=recorded.points_refunded,
            quantity_refunded=recorded.quantity_refunded,
            voucher_voided=voided,
            total_refunded_points=recorded.total_refunded_points,
        )
        await self._announce(result, plan.member_id)
        return result

    async def _announce(self, result: RefundResult, member_id: str) -> None:
        """Start the ``redemption.refunded`` webhooks (durably since DURABLE_FANOUT_PATCH)."""
        event = WebhookEvent(
            id=event_id(result.refund_id, EventType.REFUNDED),
            type=EventType.REFUNDED,
            created_at=workflow.now(),
            data={"member_id": member_id, **result.model_dump()},
        )
        if workflow.patched(DURABLE_FANOUT_PATCH):
            await fan_out(event)
            return
        try:
            await workflow.execute_activity(PUBLISH_EVENT, event, **BEST_EFFORT.kwargs())
        except ActivityError as error:
            workflow.logger.warning("refund event not published: %s", error)

    async def _void(self, fulfillment_key: str) -> bool:
        """Void the voucher; the points are already back, so a partner refusal is only reported."""
        try:
            await workflow.execute_activity(
                act.VOID_FULFILLMENT,
                act.VoidFulfillment(idempotency_key=fulfillment_key),
                result_type=act.VoidOutcome,
                **PARTNER.kwargs(),
            )
        except ActivityError as error:
            workflow.logger.warning("voucher void failed after refund: %s", error)
            return False
        return True

"""The Refund saga: take the value back at the partner, then give the points back.

1. Plan the refund of all or part of a completed redemption (``PrepareRefund``);
   outside POL-REFUND-001's window or above its automatic maximum, wait for
   loyalty operations to approve it (``approve`` / ``reject`` updates; no
   decision in time refuses it; nobody approves their own request).
2. Void the refunded units at the partner: the partner confirms they are
   unused and voids them in one call. A used voucher refuses the refund, and
   no point comes back.
3. Reverse the capture for the planned points, restock the units, and record
   the refund against the redemption, in one transaction (``RefundPoints``).

A refusal (not completed, nothing left, used voucher, rejected by an
operator) fails the workflow with its type. Runs started before the
``refund-void-first`` patch gave the points back first and voided afterwards.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts import redemption as act
    from loyalty.contracts.redemption import (
        QUERY_STATE,
        REFUND_WORKFLOW,
        UPDATE_APPROVE,
        UPDATE_REJECT,
        OperatorAction,
        RefundRequest,
        RefundResult,
        RefundState,
        RefundStatus,
        RefundUpdateResult,
    )
    from loyalty.contracts.webhooks import PUBLISH_EVENT, EventType, WebhookEvent, event_id
    from loyalty.domain.approvals import approval_refusal
    from loyalty.workflows.options import BEST_EFFORT, CHECK, LEDGER, PARTNER
    from loyalty.workflows.saga import call
    from loyalty.workflows.webhook_fanout import DURABLE_FANOUT_PATCH, fan_out

VOID_FIRST_PATCH = "refund-void-first"


@workflow.defn(name=REFUND_WORKFLOW)
class RefundWorkflow:
    @workflow.init
    def __init__(self, request: RefundRequest) -> None:
        self._request = request
        self._state = RefundState(
            refund_id=workflow.info().workflow_id,
            redemption_id=request.redemption_id,
            requested_by=request.actor,
        )
        self._decision: tuple[str, OperatorAction] | None = None

    @workflow.run
    async def run(self, request: RefundRequest) -> RefundResult:
        if not workflow.patched(VOID_FIRST_PATCH):
            return await self._points_first()
        try:
            plan = await call(
                act.PREPARE_REFUND,
                act.PrepareRefund(redemption_id=request.redemption_id, quantity=request.quantity),
                act.RefundPlan,
                CHECK,
            )
            self._state.points, self._state.quantity = plan.points, plan.quantity
            if plan.review_reasons:
                await self._await_approval(plan)
            await call(
                act.VOID_REFUNDED_UNITS,
                act.VoidUnits(
                    fulfillment_key=plan.fulfillment_key,
                    units=plan.quantity,
                    request_key=f"{self._state.refund_id}:void",
                ),
                act.VoidOutcome,
                PARTNER,
            )
            recorded = await self._refund_points(plan)
        except ApplicationError:
            self._state.status = RefundStatus.REJECTED
            raise
        return await self._complete(recorded, plan, voided=plan.voids_voucher)

    async def _await_approval(self, plan: act.RefundPlan) -> None:
        self._state.review_reasons = list(plan.review_reasons)
        self._state.status = RefundStatus.AWAITING_APPROVAL
        timeout = timedelta(seconds=plan.approval_timeout_s or 0)
        try:
            await workflow.wait_condition(lambda: self._decision is not None, timeout=timeout)
        except TimeoutError:
            raise ApplicationError(
                "no decision by loyalty operations in time; the refund is refused",
                type="refund_expired",
                non_retryable=True,
            ) from None
        assert self._decision is not None
        outcome, by = self._decision
        self._state.decided_by, self._state.decision_reason = by.operator_id, by.reason
        if outcome != "approved":
            raise ApplicationError(
                f"refund rejected by {by.operator_id}: {by.reason}",
                type="refund_rejected",
                non_retryable=True,
            )
        self._state.status = RefundStatus.RUNNING

    async def _refund_points(self, plan: act.RefundPlan) -> act.RefundRecorded:
        request = self._request
        return await call(
            act.REFUND_POINTS,
            act.RefundPoints(
                redemption_id=request.redemption_id,
                refund_id=self._state.refund_id,
                hold_key=plan.hold_key,
                points=plan.points,
                quantity=plan.quantity,
                idempotency_key=f"{self._state.refund_id}:reverse",
                reason=request.reason,
                actor=request.actor,
                actor_role=request.actor_role,
            ),
            act.RefundRecorded,
            LEDGER,
        )

    async def _complete(
        self, recorded: act.RefundRecorded, plan: act.RefundPlan, *, voided: bool
    ) -> RefundResult:
        result = RefundResult(
            redemption_id=self._request.redemption_id,
            refund_id=self._state.refund_id,
            points_refunded=recorded.points_refunded,
            quantity_refunded=recorded.quantity_refunded,
            voucher_voided=voided,
            total_refunded_points=recorded.total_refunded_points,
        )
        self._state.status, self._state.result = RefundStatus.COMPLETED, result
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

    # -- runs started before the refund-void-first patch -------------------------

    async def _points_first(self) -> RefundResult:
        request = self._request
        plan = await call(
            act.PREPARE_REFUND,
            act.PrepareRefund(redemption_id=request.redemption_id, quantity=request.quantity),
            act.RefundPlan,
            CHECK,
        )
        recorded = await self._refund_points(plan)
        voided = recorded.closes_redemption and await self._void_after(plan.fulfillment_key)
        return await self._complete(recorded, plan, voided=voided)

    async def _void_after(self, fulfillment_key: str) -> bool:
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

    # -- query and updates -------------------------------------------------------

    @workflow.query(name=QUERY_STATE)
    def state(self) -> RefundState:
        return self._state

    @workflow.update(name=UPDATE_APPROVE)
    async def approve(self, action: OperatorAction) -> RefundUpdateResult:
        self._decision = ("approved", action)
        return RefundUpdateResult(accepted=True, status=self._state.status, message="approved")

    @approve.validator
    def _validate_approve(self, action: OperatorAction) -> None:
        self._require_open(action, approving=True)

    @workflow.update(name=UPDATE_REJECT)
    async def reject(self, action: OperatorAction) -> RefundUpdateResult:
        self._decision = ("rejected", action)
        return RefundUpdateResult(accepted=True, status=self._state.status, message="rejected")

    @reject.validator
    def _validate_reject(self, action: OperatorAction) -> None:
        self._require_open(action, approving=False)

    def _require_open(self, action: OperatorAction, *, approving: bool) -> None:
        if self._state.status != RefundStatus.AWAITING_APPROVAL or self._decision is not None:
            raise ApplicationError(
                f"not awaiting approval: the refund is {self._state.status.value}",
                type="invalid_state",
            )
        refusal = approval_refusal(approver=action.operator_id, requester=self._request.actor)
        if approving and refusal is not None:
            raise ApplicationError(refusal, type="not_allowed")

"""The Accrual workflow: an order's points wait out the pending period on a durable timer.

1. ``RecordPendingAccrual`` computes the points (tier, policies in force) and
   posts them as pending; the ``recorded`` update answers once that is done.
2. A timer runs until the accrual's ``available_at`` (POL-ACCRUAL-001's
   ``pending_period_days``). Meanwhile ``return_purchase`` updates take points
   back from pending; a full return cancels the accrual and ends the wait.
3. ``SettleAccrual`` makes what is left available (retried until it lands:
   nobody else would ever settle it), then a child ``ReviewTiers`` run reviews
   the member's tier (POL-TIER-001 reviews on accrual; runs after the
   ``tier-review-on-accrual`` patch).

Once settlement starts, ``return_purchase`` is refused with ``accrual_not_pending``
and the caller posts the return through an ``AccrualReturn`` workflow, which
takes the points back from available (and records any shortfall as owed). The
ledger decides under the account lock either way, so a return racing the
settlement is applied exactly once, to whichever bucket holds the points then.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts.accrual import (
        ACCRUAL_RETURN_WORKFLOW,
        ACCRUAL_WORKFLOW,
        NOT_PENDING,
        RECORD_PENDING_ACCRUAL,
        SETTLE_ACCRUAL,
        TAKE_BACK_ACCRUAL,
        UPDATE_RECORDED,
        UPDATE_RETURN,
        AccrualRecord,
        AccrualRequest,
        AccrualReturnRequest,
        AccrualState,
        AccrualStatus,
        AwaitRecorded,
        RecordPendingAccrual,
        ReturnOutcome,
        ReturnPurchase,
        SettleAccrual,
        TakeBack,
    )
    from loyalty.contracts.members import REVIEW_TIERS_WORKFLOW, TierReviewReport, TierReviewRequest
    from loyalty.contracts.redemption import QUERY_STATE
    from loyalty.contracts.webhooks import EventType, WebhookEvent, event_id
    from loyalty.domain.earning import CAPPED_POINTS
    from loyalty.workflows.options import LEDGER, SETTLE
    from loyalty.workflows.saga import call
    from loyalty.workflows.webhook_fanout import fan_out

# Runs started after this patch review the member's tier once the points settle
# (POL-TIER-001: "on accrual"), besides the daily review; older runs only settle.
TIER_PATCH = "tier-review-on-accrual"
# Runs started after this patch announce an order capped at max_points_per_purchase
# (``accrual.capped``) for the fraud team; older runs only recorded it.
CAPPED_EVENT_PATCH = "accrual-capped-event"


async def _announce_capped(record: AccrualRecord, source: str) -> None:
    """POL-ACCRUAL-001: a capped order is flagged for the fraud team (reselling)."""
    await fan_out(
        WebhookEvent(
            id=event_id(record.accrual_id, EventType.ACCRUAL_CAPPED),
            type=EventType.ACCRUAL_CAPPED,
            created_at=workflow.now(),
            data={
                "accrual_id": record.accrual_id,
                "member_id": record.member_id,
                "order_id": record.order_id,
                "source": source,
                "amount": str(record.amount),
                "currency": record.currency,
                "points": record.points,
                "points_before_cap": record.points_before_cap,
            },
        )
    )


async def _review_tier(member_id: str, accrual_id: str) -> None:
    """Review the member's tier as a child run; a failure there never undoes the accrual."""
    try:
        await workflow.execute_child_workflow(
            REVIEW_TIERS_WORKFLOW,
            TierReviewRequest(member_id=member_id, requested_by="accrual", role="system"),
            id=f"tier-review~{member_id}~{accrual_id}",
            result_type=TierReviewReport,
        )
    except ChildWorkflowError as error:  # the daily review will see the member anyway
        workflow.logger.warning("tier review after accrual failed: %s", error.cause or error)


async def take_back(
    accrual_id: str, member_id: str, request: ReturnPurchase | AccrualReturnRequest
) -> ReturnOutcome:
    return await call(
        TAKE_BACK_ACCRUAL,
        TakeBack(
            accrual_id=accrual_id,
            member_id=member_id,
            return_id=request.return_id,
            amount=request.amount,
            reason=request.reason,
            actor=request.actor,
        ),
        ReturnOutcome,
        LEDGER,
    )


@workflow.defn(name=ACCRUAL_WORKFLOW)
class AccrualWorkflow:
    @workflow.init
    def __init__(self, request: AccrualRequest) -> None:
        self._request = request
        self._state = AccrualState(
            accrual_id=workflow.info().workflow_id,
            member_id=request.member_id,
            order_id=request.order_id,
        )
        self._settling = False
        self._returns_in_flight = 0
        self._refused: ApplicationError | None = None

    @workflow.run
    async def run(self, request: AccrualRequest) -> AccrualState:
        accrual_id = self._state.accrual_id
        try:
            recorded = await self._record(request)
        except ApplicationError as refused:
            # The caller waiting in ``recorded`` gets the refusal itself (e.g. unknown member).
            self._refused = refused
            await workflow.wait_condition(workflow.all_handlers_finished)
            raise
        self._apply(recorded)
        # The condition comes first: only a capped run records the patch marker.
        if CAPPED_POINTS in recorded.capped_by and workflow.patched(CAPPED_EVENT_PATCH):
            await _announce_capped(recorded, request.source)
        wait = recorded.available_at - workflow.now()
        if self._state.status == AccrualStatus.PENDING and wait > timedelta(0):
            # A timeout is the pending period ending; the condition is a full return.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(self._cancelled, timeout=wait)
        self._settling = True
        await workflow.wait_condition(lambda: self._returns_in_flight == 0)
        if self._state.status == AccrualStatus.PENDING:
            settled = await call(
                SETTLE_ACCRUAL,
                SettleAccrual(accrual_id=accrual_id, member_id=request.member_id),
                AccrualRecord,
                SETTLE,
            )
            self._apply(settled)
            if settled.status == AccrualStatus.AVAILABLE and workflow.patched(TIER_PATCH):
                await _review_tier(request.member_id, accrual_id)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    async def _record(self, request: AccrualRequest) -> AccrualRecord:
        return await call(
            RECORD_PENDING_ACCRUAL,
            RecordPendingAccrual(
                accrual_id=self._state.accrual_id,
                member_id=request.member_id,
                order_id=request.order_id,
                amount=request.amount,
                currency=request.currency,
                source=request.source,
                actor=request.actor,
            ),
            AccrualRecord,
            LEDGER,
        )

    def _cancelled(self) -> bool:
        return self._state.status != AccrualStatus.PENDING and self._returns_in_flight == 0

    def _apply(self, record: AccrualRecord) -> None:
        self._state.record = record
        self._state.status = record.status

    @workflow.query(name=QUERY_STATE)
    def state(self) -> AccrualState:
        return self._state

    @workflow.update(name=UPDATE_RECORDED)
    async def recorded(self, _: AwaitRecorded) -> AccrualState:
        await workflow.wait_condition(
            lambda: self._state.record is not None or self._refused is not None
        )
        if self._refused is not None:
            raise ApplicationError(
                self._refused.message, *self._refused.details, type=self._refused.type
            )
        return self._state

    @workflow.update(name=UPDATE_RETURN)
    async def return_purchase(self, request: ReturnPurchase) -> ReturnOutcome:
        self._returns_in_flight += 1
        try:
            outcome = await take_back(self._state.accrual_id, self._request.member_id, request)
        finally:
            self._returns_in_flight -= 1
        self._apply(outcome.accrual)
        if all(done.return_id != outcome.return_id for done in self._state.returns):
            self._state.returns.append(outcome)
        return outcome

    @return_purchase.validator
    def _validate_return(self, request: ReturnPurchase) -> None:
        if self._settling or self._state.status != AccrualStatus.PENDING:
            raise ApplicationError(
                f"the accrual is {self._state.status.value}, not pending", type=NOT_PENDING
            )


@workflow.defn(name=ACCRUAL_RETURN_WORKFLOW)
class AccrualReturnWorkflow:
    """A return after the points became available: a clawback, and a notice of any shortfall."""

    @workflow.run
    async def run(self, request: AccrualReturnRequest) -> ReturnOutcome:
        outcome = await take_back(request.accrual_id, request.member_id, request)
        if outcome.shortfall:  # the event id is stable: a repeat is delivered once
            await fan_out(
                WebhookEvent(
                    id=event_id(workflow.info().workflow_id, EventType.ACCRUAL_SHORTFALL),
                    type=EventType.ACCRUAL_SHORTFALL,
                    created_at=workflow.now(),
                    data={"member_id": request.member_id, **outcome.model_dump(mode="json")},
                )
            )
        return outcome

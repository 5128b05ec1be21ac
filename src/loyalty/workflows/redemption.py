"""The Redemption saga: check, price, reserve, fulfill, capture; compensate in reverse on failure.

``run`` handles the platform concerns (refusals, cancellation, compensation,
operator intervention, final bookkeeping); ``_redeem`` is the business path.
Every side effect is an activity with key ``<workflow_id>:<step>``, and each
compensation is registered *before* the call it undoes: the call can land while
its answer is lost, and every compensation is a no-op when nothing happened.

Cancellation (runs started after the ``safe-cancellation`` patch): a cancel,
by update or from Temporal (the Web UI), wins at every moment until the
capture starts, the one point of no return. Each step waits for its own
cancellation to complete, so a write still landing is seen and undone; a
cancel that lands during a best-effort step is not swallowed; the capture,
the compensations and the wait for an operator run to their end whatever
arrives; and the unwind stops at a compensation that fails (see
``CompensationStack``), keeping the hold until an operator decides. A local
activity (the decide step; the records and the subscriber listing after the
``local-record-and-subscribers`` patch) runs inside a workflow task, so a
cancel that arrives meanwhile reaches the saga when that task ends: a hold
scheduled in that task may land, and is released.

The first time a saga parks in ``needs_attention`` it raises one
``redemption.needs_attention`` webhook event, fanned out durably (runs started
after the ``needs-attention-alert`` patch); a retry that parks it again does not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    FailureError,
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts import redemption as act
    from loyalty.contracts.redemption import (
        QUERY_STATE,
        REDEMPTION_WORKFLOW,
        UPDATE_APPROVE,
        UPDATE_CANCEL,
        UPDATE_REJECT,
        UPDATE_RESOLVE,
        UPDATE_RETRY_COMPENSATIONS,
        CancelRequest,
        OperatorAction,
        RedemptionRequest,
        RedemptionState,
        RedemptionStatus,
        ReviewDecision,
        Step,
        StepOutcome,
        UpdateResult,
        step_key,
    )
    from loyalty.contracts.webhooks import needs_attention_event, redemption_event
    from loyalty.domain.approvals import review_refusal
    from loyalty.workflows.options import (
        BEST_EFFORT,
        CHECK,
        LEDGER,
        PARTNER,
        PATIENT_COMPENSATION,
        StepOptions,
    )
    from loyalty.workflows.saga import CompensationStack, Ended, Saga, uncancellable
    from loyalty.workflows.webhook_fanout import DURABLE_FANOUT_PATCH, fan_out

T = TypeVar("T", bound=BaseModel)

# Runs started before this patch decide with four activities; see _check_step_by_step.
DECIDE_REDEMPTION_PATCH = "decide-redemption"
# Runs started before this patch handle cancellation and failed compensations the
# old way (see the module docstring for the new one).
SAFE_CANCELLATION_PATCH = "safe-cancellation"
# Runs started before this patch park in needs_attention without an alert (issue 11 item 6).
NEEDS_ATTENTION_ALERT_PATCH = "needs-attention-alert"
# Runs started after this patch read the facts and decide in a local activity (one
# workflow task and one activity task fewer per saga); before it, a regular activity.
LOCAL_DECIDE_PATCH = "local-decide"
# Runs started before this patch never carry a promo code into the hold (issue 13 item 4);
# the patch is asked only when the decision names a code, so older histories never reach it.
PROMO_CODE_PATCH = "promo-code-use"
# Runs started after this patch record their state and list webhook subscribers in local
# activities, so a saga runs three activity tasks (reserve, fulfill, capture); before it,
# regular activities (issue 12).
LOCAL_RECORD_PATCH = "local-record-and-subscribers"
# Every patch the saga asks after its first local activity (see _settle_later_patches);
# a new one belongs here too (tests/unit/temporal/test_redemption_patches.py checks it).
LATER_PATCHES = (
    DECIDE_REDEMPTION_PATCH,
    LOCAL_DECIDE_PATCH,
    PROMO_CODE_PATCH,
    NEEDS_ATTENTION_ALERT_PATCH,
    DURABLE_FANOUT_PATCH,
)


def _settle_later_patches() -> None:
    """Ask every later patch question now, in the run's first workflow task.

    A local activity may end its workflow task or not, depending on timing (a
    slow write, a query, a worker crash); a ``patched`` call made after one then
    lands in a different task on replay than when it ran, and a replay sees a
    patch only in the task whose history holds its marker: the run fails with a
    nondeterminism error. Asked before any local activity, each answer is
    recorded in the first task and kept (the SDK memoizes it), wherever the
    later call is. Runs from before ``LOCAL_RECORD_PATCH`` keep asking where
    they always did: their regular activities fix the task boundaries.
    """
    for patch in LATER_PATCHES:
        workflow.patched(patch)


TOO_LATE = "a cancel arrived while the points were being captured: too late, completed"
SETTLING = "a cancel arrived while the saga was compensating or settling; it settles first"


class CancelRequested(Exception):
    """Raised at the next step boundary after an accepted cancel update."""


@workflow.defn(name=REDEMPTION_WORKFLOW)
class RedemptionWorkflow:
    @workflow.init
    def __init__(self, request: RedemptionRequest) -> None:
        self._request = request
        self._state = RedemptionState(
            redemption_id=workflow.info().workflow_id,
            request_id=request.request_id,
            member_id=request.member_id,
            reward_id=request.reward_id,
            quantity=request.quantity,
            channel=request.channel,
            device_id=request.device_id,
            requested_by=request.requested_by,
            started_at=workflow.now(),
        )
        self._saga = Saga(self._state, outcome=StepOutcome)
        self._compensations = CompensationStack()
        self._cancel: CancelRequest | None = None
        self._review: tuple[str, ReviewDecision] | None = None
        self._operator: tuple[str, OperatorAction] | None = None
        self._safe = False
        self._local = False  # records and subscriber listings run as local activities
        self._cancellable = True  # until the capture starts or the unwind begins
        self._alerted = False  # the needs_attention alert is raised once per saga

    @property
    def _cancel_wins(self) -> bool:
        """A cancel that lands now ends the saga (safe-cancellation runs, before the capture)."""
        return self._safe and self._cancellable

    @workflow.run
    async def run(self, request: RedemptionRequest) -> RedemptionState:
        self._safe = workflow.patched(SAFE_CANCELLATION_PATCH)
        self._local = workflow.patched(LOCAL_RECORD_PATCH)
        if self._local:
            _settle_later_patches()
        self._saga.publish()
        try:
            await self._redeem()
        except Ended as ended:
            self._state.reasons.extend(ended.reasons)
            await self._carefully(self._unwind(RedemptionStatus(ended.status)))
        except CancelRequested:
            assert self._cancel is not None
            self._state.reasons.append(f"cancelled by {self._cancel.requested_by}")
            await self._carefully(self._unwind(RedemptionStatus.CANCELLED))
        except asyncio.CancelledError:
            self._state.reasons.append("cancelled through Temporal")
            await self._carefully(self._unwind(RedemptionStatus.CANCELLED))
            raise
        await self._carefully(workflow.wait_condition(workflow.all_handlers_finished))
        return self._state

    async def _redeem(self) -> None:
        await self._record()
        if workflow.patched(DECIDE_REDEMPTION_PATCH):
            decision = await self._decide()
            assert decision.price is not None  # proceed and review are priced
            claim = decision.promo_code
            if claim is not None and not workflow.patched(PROMO_CODE_PATCH):
                claim = None
            await self._reserve_fulfill_capture(decision.price.total, decision.ceiling, claim)
        else:
            await self._reserve_fulfill_capture(await self._check_step_by_step(), None)

    async def _decide(self) -> act.RedemptionDecision:
        """One activity reads the facts and runs the domain's decision; a refusal ends here.

        The state still shows the four logical checks, in the order they ran.
        """
        decision = await self._step(
            Step.CHECK_BALANCE,
            act.DECIDE_REDEMPTION,
            self._request,
            act.RedemptionDecision,
            CHECK,
            local=workflow.patched(LOCAL_DECIDE_PATCH),
        )
        self._outcome(Step.CHECK_ELIGIBILITY, "ok")
        if decision.fraud is not None:
            self._outcome(Step.ASSESS_FRAUD, "ok")
            self._state.fraud_verdict, self._state.fraud_score = (
                decision.fraud.verdict,
                decision.fraud.score,
            )
        if decision.price is not None:
            self._outcome(Step.PRICE_OFFER, "ok")
            self._state.points, self._state.breakdown = decision.price.total, decision.price.lines
        if decision.outcome == "reject":
            raise Ended(decision.reasons, status=RedemptionStatus.REJECTED)
        if decision.outcome == "review":
            await self._await_review(decision.reasons, decision.review_timeout_s)
        return decision

    async def _check_step_by_step(self) -> int:
        """Runs started before the decide-redemption patch: one activity per check."""
        check = act.RedemptionCheck(
            redemption_id=self._state.redemption_id,
            member_id=self._request.member_id,
            reward_id=self._request.reward_id,
            quantity=self._request.quantity,
            channel=self._request.channel,
            device_id=self._request.device_id,
        )
        balance = await self._step(
            Step.CHECK_BALANCE,
            act.CHECK_BALANCE,
            act.MemberRef(member_id=check.member_id),
            act.BalanceSnapshot,
            CHECK,
        )
        eligibility = await self._step(
            Step.CHECK_ELIGIBILITY, act.CHECK_ELIGIBILITY, check, act.EligibilityVerdict, CHECK
        )
        if not eligibility.eligible:
            raise Ended(eligibility.reasons, status=RedemptionStatus.REJECTED)
        fraud = await self._step(
            Step.ASSESS_FRAUD, act.ASSESS_FRAUD, check, act.FraudVerdict, CHECK
        )
        self._state.fraud_verdict, self._state.fraud_score = fraud.verdict, fraud.score
        if fraud.verdict == "deny":
            raise Ended(
                ["fraud check denied the redemption", *fraud.reasons],
                status=RedemptionStatus.REJECTED,
            )
        if fraud.verdict == "review":
            await self._await_review(fraud.reasons, None)
        price = await self._step(Step.PRICE_OFFER, act.PRICE_OFFER, check, act.OfferPrice, CHECK)
        self._state.points, self._state.breakdown = price.total, price.lines
        if balance.available < price.total:
            raise Ended(
                [f"insufficient points: {balance.available} available, {price.total} required"],
                status=RedemptionStatus.REJECTED,
            )
        return price.total

    async def _reserve_fulfill_capture(
        self,
        points: int,
        ceiling: act.SpendCeiling | None,
        promo_code: act.PromoCodeClaim | None = None,
    ) -> None:
        hold_key = self._key(Step.RESERVE_POINTS)
        self._compensations.register(
            Step.RELEASE_POINTS,
            act.RELEASE_POINTS,
            act.HoldRef(
                hold_key=hold_key,
                idempotency_key=self._key(Step.RELEASE_POINTS),
                reason="redemption compensated",
                member_id=self._request.member_id,
            ),
        )
        moved = await self._step(
            Step.RESERVE_POINTS,
            act.RESERVE_POINTS,
            act.ReservePoints(
                member_id=self._request.member_id,
                points=points,
                idempotency_key=hold_key,
                reference=self._state.redemption_id,
                reward_id=self._request.reward_id,
                units=self._request.quantity,
                ceiling=ceiling,
                promo_code=promo_code,
            ),
            act.PointsMoved,
            LEDGER,
        )
        self._state.hold_id = moved.hold_id
        fulfill_key = self._key(Step.FULFILL_REWARD)
        self._compensations.register(
            Step.VOID_FULFILLMENT,
            act.VOID_FULFILLMENT,
            act.VoidFulfillment(idempotency_key=fulfill_key),
        )
        voucher = await self._step(
            Step.FULFILL_REWARD,
            act.FULFILL_REWARD,
            act.FulfillReward(
                idempotency_key=fulfill_key,
                member_id=self._request.member_id,
                reward_id=self._request.reward_id,
                quantity=self._request.quantity,
            ),
            act.Fulfillment,
            PARTNER,
        )
        # Newer activities return no code (a bearer credential stays out of history).
        self._state.voucher_id, self._state.voucher_code = voucher.voucher_id, voucher.code or None
        if not self._safe:
            await self._complete(hold_key, points)
            return
        self._check_cancel()  # the last moment a cancel wins
        self._cancellable = False
        await uncancellable(
            self._complete(hold_key, points), on_cancel=lambda: self._note(TOO_LATE)
        )

    async def _complete(self, hold_key: str, points: int) -> None:
        """Capture, the point of no return, then finish; from here on a cancel is too late."""
        await self._step(
            Step.CAPTURE_POINTS,
            act.CAPTURE_POINTS,
            act.HoldRef(
                hold_key=hold_key,
                idempotency_key=self._key(Step.CAPTURE_POINTS),
                reason=self._state.redemption_id,
            ),
            act.PointsMoved,
            LEDGER,
        )
        self._compensations.register(
            Step.REVERSE_CAPTURE,
            act.REVERSE_CAPTURE,
            act.ReverseCapture(
                hold_key=hold_key,
                points=points,
                idempotency_key=self._key(Step.REVERSE_CAPTURE),
                reason="redemption compensated",
                actor="saga",
                units=self._request.quantity,
            ),
        )
        await self._finish(RedemptionStatus.COMPLETED, "redemption.completed")

    async def _await_review(self, reasons: list[str], policy_timeout_s: float | None) -> None:
        """Wait for a person; the request's timeout wins over the policy's, and none refuses."""
        timeout_s = self._request.review_timeout_s or policy_timeout_s
        if timeout_s is None:  # fail closed: a review nobody must answer is never started
            raise Ended(["no fraud review timeout is in force"], status=RedemptionStatus.REJECTED)
        self._state.reasons.extend(reasons)
        self._set_status(RedemptionStatus.AWAITING_APPROVAL, Step.AWAIT_REVIEW)
        await self._record()
        await self._notify("redemption.awaiting_approval")
        try:
            await workflow.wait_condition(
                lambda: self._review is not None or self._cancel is not None,
                timeout=timedelta(seconds=timeout_s),
            )
        except TimeoutError:
            self._state.review_outcome = "timed_out"
            self._outcome(Step.AWAIT_REVIEW, "failed", "review timed out")
            raise Ended(["fraud review timed out"], status=RedemptionStatus.REJECTED) from None
        self._check_cancel()
        assert self._review is not None
        outcome, decision = self._review
        self._state.review, self._state.review_outcome = decision, outcome
        self._outcome(
            Step.AWAIT_REVIEW,
            "ok" if outcome == "approved" else "failed",
            f"{outcome} by {decision.agent_id}: {decision.reason}",
        )
        if outcome != "approved":
            raise Ended(
                [f"fraud review rejected by {decision.agent_id}: {decision.reason}"],
                status=RedemptionStatus.REJECTED,
            )
        self._set_status(RedemptionStatus.RUNNING)

    async def _step(
        self,
        step: Step,
        activity: str,
        argument: BaseModel,
        result: type[T],
        options: StepOptions,
        *,
        local: bool = False,
    ) -> T:
        """Run one saga step; a refusal before points were reserved ends it ``rejected``."""
        if self._cancellable:
            self._check_cancel()
        refused = RedemptionStatus.FAILED if self._reserved() else RedemptionStatus.REJECTED
        value = await self._saga.step(
            step,
            activity,
            argument,
            result,
            options,
            refused=refused,
            failed=RedemptionStatus.FAILED,
            wait_for_cancellation=self._safe,
            local=local,
        )
        if self._cancel_wins:
            self._check_cancel()  # a cancel that arrived while the step landed
        return value

    async def _unwind(self, status: RedemptionStatus) -> None:
        """Run compensations in reverse; while any is owed, wait for an operator."""
        self._cancellable = False
        failed = await self._compensate()
        while failed:
            self._state.failed_compensations = failed
            # Clear the slot before the status admits operator updates, with no await
            # in between: an action sent while the record below runs must not be lost.
            self._operator = None
            self._set_status(RedemptionStatus.NEEDS_ATTENTION)
            await self._record()
            await self._alert_needs_attention()
            await workflow.wait_condition(lambda: self._operator is not None)
            assert self._operator is not None
            action, by = self._operator
            self._state.reasons.append(f"operator {by.operator_id} chose {action}: {by.reason}")
            if action == "resolve":
                break
            failed = await self._compensate()
        self._state.failed_compensations = failed
        compensated = any(outcome.status == "compensated" for outcome in self._state.steps)
        await self._finish(status, "redemption.compensated" if compensated else "redemption.failed")

    async def _alert_needs_attention(self) -> None:
        """Tell operators' subscribers, once per saga, that it waits for one of them."""
        if self._alerted or not workflow.patched(NEEDS_ATTENTION_ALERT_PATCH):
            return
        self._alerted = True
        await fan_out(needs_attention_event(self._state, at=workflow.now()), local=self._local)

    async def _compensate(self) -> list[Step]:
        if not self._safe:
            return await self._compensations.unwind(self._outcome)
        budget = timedelta(seconds=self._request.compensation_timeout_s)
        return await self._compensations.unwind(
            self._outcome, options=PATIENT_COMPENSATION.within(budget), stop_at_failure=True
        )

    async def _carefully(self, awaitable: Awaitable[None]) -> None:
        """What a cancel must not break: the unwind, an operator's decision, the last handlers."""
        if not self._safe:
            await awaitable
            return
        await uncancellable(awaitable, on_cancel=lambda: self._note(SETTLING))

    async def _finish(self, status: RedemptionStatus, event: str) -> None:
        self._saga.finish(status)
        await self._record()
        await self._notify(event)

    async def _record(self) -> None:
        await self._best_effort(
            Step.RECORD_OUTCOME,
            act.RECORD_REDEMPTION,
            act.RecordRedemption(state=self._state),
            local=self._local,
        )

    async def _notify(self, event: str) -> None:
        if workflow.patched(DURABLE_FANOUT_PATCH):  # issue 10: deliveries start from history
            await self._fan_out(event)
            return
        await self._best_effort(
            Step.NOTIFY, act.NOTIFY_REDEMPTION, act.NotifyRedemption(event=event, state=self._state)
        )

    async def _fan_out(self, event: str) -> None:
        """Start the event's deliveries; until the capture, a cancel that lands here wins."""
        announced = redemption_event(event, self._state, at=workflow.now())
        try:
            await fan_out(announced, local=self._local)
        except ActivityError as error:
            if self._cancel_wins and is_cancelled_exception(error):
                raise asyncio.CancelledError() from error
            raise
        if self._cancel_wins:
            self._check_cancel()

    async def _best_effort(
        self, step: Step, activity: str, argument: BaseModel, *, local: bool = False
    ) -> None:
        """Record or notify; a failure is logged, but a cancel is never swallowed here.

        With ``local``, a local activity (the record is monotonic, so running it
        again after a worker crash never rolls the mirror back); it waits for its
        cancellation the same way. Its failure arrives bare (an ``ApplicationError``,
        not wrapped in an ``ActivityError``), its cancel wrapped: both are
        ``FailureError``s.
        """
        options = BEST_EFFORT.kwargs(wait_for_cancellation=self._safe)
        try:
            if local:
                await workflow.execute_local_activity(activity, argument, **options)
            else:
                await workflow.execute_activity(activity, argument, **options)
        except FailureError as error:
            if self._cancel_wins and is_cancelled_exception(error):
                raise asyncio.CancelledError() from error
            workflow.logger.warning("best-effort %s failed: %s", step.value, error)
        if self._cancel_wins:
            self._check_cancel()

    # -- queries and updates -------------------------------------------------

    @workflow.query(name=QUERY_STATE)
    def state(self) -> RedemptionState:
        return self._state

    @workflow.update(name=UPDATE_APPROVE)
    async def approve(self, decision: ReviewDecision) -> UpdateResult:
        self._review = ("approved", decision)
        return UpdateResult(accepted=True, status=self._state.status, message="review approved")

    @approve.validator
    def _validate_approve(self, decision: ReviewDecision) -> None:
        self._require_status(RedemptionStatus.AWAITING_APPROVAL, "approved")
        self._require_reviewer(decision)

    @workflow.update(name=UPDATE_REJECT)
    async def reject(self, decision: ReviewDecision) -> UpdateResult:
        self._review = ("rejected", decision)
        await workflow.wait_condition(lambda: self._state.status.is_final)
        return UpdateResult(accepted=True, status=self._state.status, message="review rejected")

    @reject.validator
    def _validate_reject(self, decision: ReviewDecision) -> None:
        self._require_status(RedemptionStatus.AWAITING_APPROVAL, "rejected")
        self._require_reviewer(decision)

    @workflow.update(name=UPDATE_CANCEL)
    async def cancel(self, request: CancelRequest) -> UpdateResult:
        self._cancel = request
        await workflow.wait_condition(lambda: self._state.status.is_final)
        return UpdateResult(
            accepted=True, status=self._state.status, message="cancelled and compensated"
        )

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        if self._state.status.is_final:
            raise ApplicationError(
                f"too late to cancel: the redemption is already {self._state.status.value}",
                type="too_late",
            )
        if self._state.current_step == Step.CAPTURE_POINTS:  # completed right after it
            raise ApplicationError(
                "too late to cancel: the points are being captured", type="too_late"
            )
        if self._cancel is not None or self._state.status == RedemptionStatus.NEEDS_ATTENTION:
            raise ApplicationError("a cancellation is already under way", type="too_late")

    @workflow.update(name=UPDATE_RETRY_COMPENSATIONS)
    async def retry_compensations(self, action: OperatorAction) -> UpdateResult:
        self._operator = ("retry", action)
        return UpdateResult(accepted=True, status=self._state.status, message="retrying")

    @retry_compensations.validator
    def _validate_retry(self, action: OperatorAction) -> None:
        self._require_status(RedemptionStatus.NEEDS_ATTENTION, "retried")

    @workflow.update(name=UPDATE_RESOLVE)
    async def resolve(self, action: OperatorAction) -> UpdateResult:
        self._operator = ("resolve", action)
        return UpdateResult(accepted=True, status=self._state.status, message="resolved")

    @resolve.validator
    def _validate_resolve(self, action: OperatorAction) -> None:
        self._require_status(RedemptionStatus.NEEDS_ATTENTION, "resolved")

    # -- state helpers -------------------------------------------------------

    def _require_status(self, status: RedemptionStatus, verb: str) -> None:
        if self._state.status != status or (verb in {"approved", "rejected"} and self._review):
            raise ApplicationError(
                f"cannot be {verb}: the redemption is {self._state.status.value}",
                type="invalid_state",
            )

    def _require_reviewer(self, decision: ReviewDecision) -> None:
        refusal = review_refusal(reviewer=decision.agent_id, requester=self._request.requested_by)
        if refusal is not None:
            raise ApplicationError(refusal, type="not_allowed")

    def _reserved(self) -> bool:
        """Whether points were reserved: from then on a failure is ``failed``, not ``rejected``."""
        return any(o.step == Step.RESERVE_POINTS and o.status == "ok" for o in self._state.steps)

    def _check_cancel(self) -> None:
        if self._cancel is not None:
            raise CancelRequested()
        if self._safe and workflow.cancellation_reason() is not None:
            raise asyncio.CancelledError()

    def _note(self, reason: str) -> None:
        if reason not in self._state.reasons:
            self._state.reasons.append(reason)

    def _key(self, step: Step) -> str:
        return step_key(self._state.redemption_id, step)

    def _outcome(self, step: Step, status: str, detail: str = "") -> None:
        self._saga.record(step, status, detail)

    def _set_status(self, status: RedemptionStatus, step: Step | None = None) -> None:
        self._saga.set_status(status, step)

"""AssistedRedemption: an agent proposes, the guardrails decide, a person approves above limits.

propose (activity: proposer, guardrails, decision log) -> verdict:
``reject`` ends rejected; ``accept`` / ``clamp`` go ahead at once;
``needs_approval`` parks in ``awaiting_approval`` until a support agent's
``approve`` / ``reject`` / ``edit`` update (or the timeout, which rejects) ->
the decision is logged -> execute: a goodwill or retention points credit
through the ledger (idempotent on ``<workflow_id>:credit``), or a reward
redemption as a child ``Redemption`` saga.

The update validators refuse bad input before it reaches history: approvals
need a named person other than the requester, in a role POL-APPROVAL-001
names, and above its second-approver threshold a second, different person
(``loyalty.domain.approvals``; the rules travel in the proposal's outcome). An
edit is re-checked by the pure guardrails (``loyalty.domain.guardrails``)
against the facts the proposal was checked with, so no edit can exceed a cap. The chat model, the
database and the vector store are reached only through activities.

A case waits for a decision as long as POL-APPROVAL-001's
``approval_timeout_hours`` (read when it was proposed) allows, unless its
request names its own ``approval_timeout_s``; then it expires, rejected. A case
that waited all the policy allows is overdue (runs started after the
``approval-overdue-alert`` patch): it raises one ``assisted_case.approval_overdue``
webhook event, as it expires, or when the policy's wait ends if the request
lets it wait longer. The alert decides nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import (
    ApplicationError,
    ChildWorkflowError,
)

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts import assisted as act
    from loyalty.contracts.assisted import (
        ASSISTED_CHANNEL,
        ASSISTED_WORKFLOW,
        QUERY_STATE,
        UPDATE_APPROVE,
        UPDATE_EDIT,
        UPDATE_REJECT,
        AssistedDecision,
        AssistedRequest,
        AssistedState,
        AssistedStatus,
        AssistedStep,
        AssistedStepOutcome,
        AssistedUpdateResult,
        EditDecision,
        FinalOutcome,
        ReviewDecision,
        assisted_redemption_request_id,
    )
    from loyalty.contracts.redemption import (
        REDEMPTION_WORKFLOW,
        IdScope,
        RedemptionRequest,
        RedemptionState,
        RedemptionStatus,
        redemption_workflow_id,
    )
    from loyalty.contracts.webhooks import approval_overdue_event
    from loyalty.domain.approvals import SYSTEM_APPROVER, ApprovalRules, approval_refusal
    from loyalty.domain.guardrail_types import ProposalCandidate, VerdictOutcome
    from loyalty.domain.guardrails import evaluate_proposal
    from loyalty.workflows.guardrail_case import guardrail_input
    from loyalty.workflows.options import LEDGER, PROPOSE, StepOptions
    from loyalty.workflows.saga import Ended, Saga
    from loyalty.workflows.webhook_fanout import fan_out

T = TypeVar("T", bound=BaseModel)

# Runs started before this patch named the child ``redemption-assisted-<id>``, an id a
# customer could squat; newer runs put it in the system scope (issue 10 item 5).
SCOPED_CHILD_ID_PATCH = "scoped-child-redemption-id"
# Runs started before this patch failed a case whose credit the ledger refused; newer
# runs reject it with the reason, since a cap or budget the ledger re-checks (issue 9
# item 6) is a business answer, not a fault.
CREDIT_REFUSAL_PATCH = "credit-refusal-rejects"
# Runs started before this patch wait for approval without an overdue alert (issue 11 item 6).
APPROVAL_OVERDUE_PATCH = "approval-overdue-alert"


@workflow.defn(name=ASSISTED_WORKFLOW)
class AssistedRedemptionWorkflow:
    @workflow.init
    def __init__(self, request: AssistedRequest) -> None:
        self._request = request
        self._state = AssistedState(
            case_id=workflow.info().workflow_id,
            request_id=request.request_id,
            member_id=request.member_id,
            purpose=request.purpose,
            requested_by=request.requested_by,
            reason=request.reason,
            reward_id=request.reward_id,
            started_at=workflow.now(),
        )
        self._saga = Saga(self._state, outcome=AssistedStepOutcome)
        self._outcome: act.ProposalOutcome | None = None
        self._rules: ApprovalRules | None = None  # None for runs proposed before the rules
        self._pending: AssistedDecision | None = None
        self._overdue_alert = False  # the overdue timer fired and its alert started

    @workflow.run
    async def run(self, request: AssistedRequest) -> AssistedState:
        self._saga.publish()
        try:
            await self._assist()
        except Ended as ended:
            self._state.reasons.extend(ended.reasons)
            self._saga.finish(ended.status)
        except asyncio.CancelledError:
            self._state.reasons.append("cancelled through Temporal")
            if self._outcome is not None and self._state.decision is None:
                with contextlib.suppress(Ended):
                    await self._decide(_system("rejected", "cancelled through Temporal"))
            self._saga.finish(AssistedStatus.REJECTED)
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    async def _assist(self) -> None:
        outcome = await self._propose()
        verdict = outcome.verdict
        if verdict.outcome == VerdictOutcome.REJECT:
            codes = ", ".join(r.code for r in verdict.reasons) or "rejected"
            await self._decide(_system("rejected", f"guardrails rejected the proposal: {codes}"))
            raise Ended([r.message for r in verdict.reasons], status=AssistedStatus.REJECTED)
        if verdict.outcome == VerdictOutcome.NEEDS_APPROVAL:
            decision = await self._await_approval()
        else:
            decision = _system("approved", f"within policy ({verdict.outcome})", verdict.points)
        await self._decide(decision)
        if decision.outcome != "approved":
            raise Ended(
                [f"{decision.outcome} by {decision.approver}: {decision.reason}"],
                status=AssistedStatus.REJECTED,
            )
        self._set_status(AssistedStatus.EXECUTING)
        if self._request.purpose == "redemption":
            await self._redeem()
        else:
            await self._credit(decision)
        self._saga.finish(AssistedStatus.COMPLETED)

    async def _propose(self) -> act.ProposalOutcome:
        request = self._request
        outcome = await self._step(
            AssistedStep.PROPOSE,
            act.PROPOSE_REWARD,
            act.ProposeReward(
                decision_id=self._state.case_id,
                member_id=request.member_id,
                purpose=request.purpose,
                reason=request.reason,
                severity=request.severity,
                reward_id=request.reward_id,
                requested_by=request.requested_by,
            ),
            act.ProposalOutcome,
            PROPOSE,
        )
        self._outcome = outcome
        if outcome.approval is not None:
            self._rules = ApprovalRules(
                approver_roles=frozenset(outcome.approval.approver_roles),
                second_approver_threshold_points=outcome.approval.second_approver_threshold_points,
                approval_timeout_hours=outcome.approval.approval_timeout_hours,
            )
        self._state.proposer, self._state.proposal = outcome.proposer, outcome.proposal
        self._state.citations, self._state.verdict = outcome.citations, outcome.verdict
        self._state.points = outcome.verdict.points or 0
        if outcome.proposal is not None and outcome.proposal.reward_id:
            self._state.reward_id = outcome.proposal.reward_id
        self._saga.publish()
        return outcome

    async def _await_approval(self) -> AssistedDecision:
        self._set_status(AssistedStatus.AWAITING_APPROVAL, AssistedStep.AWAIT_APPROVAL)
        since = workflow.now()
        overdue = self._watch_overdue(since)
        try:
            await workflow.wait_condition(
                lambda: self._pending is not None, timeout=self._approval_timeout()
            )
        except TimeoutError:
            self._outcome_of(AssistedStep.AWAIT_APPROVAL, "failed", "approval timed out")
            # Taking the slot closes the case to late updates (their validators refuse).
            self._pending = _system("expired", "no decision before the approval timeout")
            limit = self._policy_wait()
            if overdue is None and limit is not None and limit <= self._approval_timeout():
                await self._alert_overdue(since)  # it waited all the policy allows
            return self._pending
        finally:
            if overdue is not None:
                await self._settle(overdue)
        assert self._pending is not None
        decision = self._pending
        status = "ok" if decision.outcome == "approved" else "failed"
        self._outcome_of(
            AssistedStep.AWAIT_APPROVAL,
            status,
            f"{decision.outcome} by {decision.approver}: {decision.reason}",
        )
        return decision

    def _approval_timeout(self) -> timedelta:
        """The request's own timeout if it set one, else POL-APPROVAL-001's in force.

        Raises:
            Ended: neither says how long to wait; the case is rejected (fail closed).
        """
        if self._request.approval_timeout_s is not None:
            return timedelta(seconds=self._request.approval_timeout_s)
        hours = self._rules.approval_timeout_hours if self._rules else None
        if hours is None:
            raise Ended(["no approval timeout is in force"], status=AssistedStatus.REJECTED)
        return timedelta(hours=hours)

    def _policy_wait(self) -> timedelta | None:
        """How long the policy lets a case wait, for runs that alert (None: no alert)."""
        hours = self._rules.approval_timeout_hours if self._rules else None
        if hours is None or not workflow.patched(APPROVAL_OVERDUE_PATCH):
            return None  # proposed before the policy's wait was read, or started before the patch
        return timedelta(hours=hours)

    def _watch_overdue(self, since: datetime) -> asyncio.Task[None] | None:
        """Start the overdue timer, if the policy's wait ends before the case expires.

        When both end together (the default: the case's timeout is the policy's),
        the alert is raised as the case expires instead.
        """
        limit = self._policy_wait()
        if limit is None or limit >= self._approval_timeout():
            return None
        return asyncio.create_task(self._alert_when_overdue(limit, since))

    async def _alert_when_overdue(self, limit: timedelta, since: datetime) -> None:
        """Race the decision; if the policy's wait ends first, tell operators once."""
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._pending is not None, timeout=limit)
        if self._pending is not None:
            return  # decided in time
        await self._alert_overdue(since)

    async def _alert_overdue(self, since: datetime) -> None:
        assert self._rules is not None and self._rules.approval_timeout_hours is not None
        self._overdue_alert = True
        self._state.approval_overdue_at = workflow.now()
        event = approval_overdue_event(
            self._state,
            waiting_since=since,
            limit_hours=self._rules.approval_timeout_hours,
            at=workflow.now(),
        )
        await fan_out(event)

    async def _settle(self, watcher: asyncio.Task[None]) -> None:
        """The wait ended: a timer still running is cancelled, an alert under way finishes."""
        if not self._overdue_alert:
            watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher

    async def _decide(self, decision: AssistedDecision) -> None:
        self._state.decision = decision
        if decision.outcome == "approved" and decision.points is not None:
            self._state.points = decision.points
        await self._step(
            AssistedStep.RECORD_DECISION,
            act.RECORD_DECISION,
            act.RecordDecision(
                decision_id=self._state.case_id,
                outcome=decision.outcome,
                approver=decision.approver,
                reason=decision.reason,
                points=decision.points if decision.edited else None,
                second_approver=decision.second_approver,
            ),
            act.DecisionRecorded,
            LEDGER,
        )

    async def _credit(self, decision: AssistedDecision) -> None:
        assert self._outcome is not None and decision.points is not None
        purpose = "retention" if self._request.purpose == "retention" else "goodwill"
        granted = await self._step(
            AssistedStep.GRANT_CREDIT,
            act.GRANT_GOODWILL_CREDIT,
            act.GrantGoodwillCredit(
                decision_id=self._state.case_id,
                member_id=self._request.member_id,
                purpose=purpose,
                points=decision.points,
                expires_at=workflow.now() + timedelta(days=self._outcome.credit_expiry_days),
                approver=decision.approver,
                idempotency_key=f"{self._state.case_id}:credit",
            ),
            act.CreditGranted,
            LEDGER,
        )
        self._state.credit_entry_id = granted.entry_id

    async def _redeem(self) -> None:
        reward_id = self._state.reward_id
        assert reward_id is not None
        child = RedemptionRequest(
            request_id=assisted_redemption_request_id(self._request.request_id),
            member_id=self._request.member_id,
            reward_id=reward_id,
            channel=ASSISTED_CHANNEL,
            requested_by=self._request.requested_by,
        )
        if workflow.patched(SCOPED_CHILD_ID_PATCH):
            self._state.redemption_id = redemption_workflow_id(
                scope=IdScope.SYSTEM, member_id=child.member_id, request_id=child.request_id
            )
        else:
            self._state.redemption_id = f"redemption-{child.request_id}"
        self._state.current_step = AssistedStep.REDEEM_REWARD
        try:
            result: RedemptionState = await workflow.execute_child_workflow(
                REDEMPTION_WORKFLOW,
                child,
                id=self._state.redemption_id,
                result_type=RedemptionState,
                parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL,
            )
        except ChildWorkflowError as error:
            self._outcome_of(AssistedStep.REDEEM_REWARD, "failed", str(error.cause or error))
            raise Ended(
                [f"redemption failed: {error.cause or error}"], status=AssistedStatus.FAILED
            ) from error
        self._state.redemption_status = result.status.value
        self._state.points = result.points or self._state.points
        if result.status != RedemptionStatus.COMPLETED:
            self._outcome_of(AssistedStep.REDEEM_REWARD, "failed", result.status.value)
            status = (
                AssistedStatus.FAILED
                if result.status == RedemptionStatus.FAILED
                else AssistedStatus.REJECTED
            )
            raise Ended([f"redemption {result.status.value}", *result.reasons], status=status)
        self._outcome_of(AssistedStep.REDEEM_REWARD, "ok", result.redemption_id)

    async def _step(
        self,
        step: AssistedStep,
        activity: str,
        argument: BaseModel,
        result: type[T],
        options: StepOptions,
    ) -> T:
        """A refused proposal or credit rejects the case; any other failure fails it."""
        refusal_rejects = step == AssistedStep.PROPOSE or (
            step == AssistedStep.GRANT_CREDIT and workflow.patched(CREDIT_REFUSAL_PATCH)
        )
        refused = AssistedStatus.REJECTED if refusal_rejects else AssistedStatus.FAILED
        return await self._saga.step(
            step, activity, argument, result, options, refused=refused, failed=AssistedStatus.FAILED
        )

    # -- queries and updates -------------------------------------------------

    @workflow.query(name=QUERY_STATE)
    def state(self) -> AssistedState:
        return self._state

    @workflow.update(name=UPDATE_APPROVE)
    async def approve(self, decision: ReviewDecision) -> AssistedUpdateResult:
        points = self._outcome.verdict.points if self._outcome else None
        return await self._approved(
            AssistedDecision(
                outcome="approved",
                approver=decision.agent_id,
                reason=decision.reason,
                points=points,
            )
        )

    @approve.validator
    def _validate_approve(self, decision: ReviewDecision) -> None:
        self._require_open(decision.agent_id, decision.reason, decision.role, approving=True)

    @workflow.update(name=UPDATE_REJECT)
    async def reject(self, decision: ReviewDecision) -> AssistedUpdateResult:
        self._pending = AssistedDecision(
            outcome="rejected", approver=decision.agent_id, reason=decision.reason
        )
        return await self._updated("rejected")

    @reject.validator
    def _validate_reject(self, decision: ReviewDecision) -> None:
        self._require_open(decision.agent_id, decision.reason, decision.role, approving=False)

    @workflow.update(name=UPDATE_EDIT)
    async def edit(self, decision: EditDecision) -> AssistedUpdateResult:
        return await self._approved(
            AssistedDecision(
                outcome="approved",
                approver=decision.agent_id,
                reason=decision.reason,
                points=decision.points,
                edited=True,
            )
        )

    @edit.validator
    def _validate_edit(self, decision: EditDecision) -> None:
        self._require_open(decision.agent_id, decision.reason, decision.role, approving=True)
        first = self._state.approvals[0] if self._state.approvals else None
        if first is not None and first.points != decision.points:
            raise ApplicationError(
                f"{first.approver} approved {first.points} points: approve or reject that",
                type="invalid_edit",
            )
        outcome = self._outcome
        if outcome is None or outcome.case is None or outcome.proposal is None:
            raise ApplicationError("only a points credit can be edited", type="invalid_edit")
        candidate = ProposalCandidate(
            action=outcome.proposal.action,
            points=decision.points,
            reward_id=None,
            citations=tuple(outcome.proposal.citations),
        )
        verdict = evaluate_proposal(guardrail_input(outcome.case, candidate))
        # A clamp can hide behind needs_approval: an edit must pass exactly as written.
        if verdict.outcome is VerdictOutcome.REJECT or verdict.points != decision.points:
            reasons = "; ".join(r.message for r in verdict.reasons if r.code != "within_policy")
            raise ApplicationError(
                f"the edit is outside the guardrail limits: {reasons}", type="invalid_edit"
            )

    async def _approved(self, decision: AssistedDecision) -> AssistedUpdateResult:
        """Take an approval; above the policy's threshold the first one waits for a second."""
        first = self._state.approvals[0] if self._state.approvals else None
        needed = self._rules.approvals_needed(decision.points) if self._rules else 1
        if first is None and needed > 1:
            self._state.approvals.append(decision)
            return AssistedUpdateResult(
                accepted=True,
                status=self._state.status,
                message=f"approved by {decision.approver}; {decision.points} points needs a"
                " second approver (POL-APPROVAL-001)",
            )
        if first is not None:  # the second approval confirms the first one's value
            decision = first.model_copy(update={"second_approver": decision.approver})
        self._pending = decision
        what = f"approved with {decision.points} points" if decision.edited else "approved"
        return await self._updated(what)

    async def _updated(self, what: str) -> AssistedUpdateResult:
        # Let the main coroutine act on the decision, so the caller sees where it went.
        await workflow.wait_condition(
            lambda: self._state.status != AssistedStatus.AWAITING_APPROVAL
        )
        return AssistedUpdateResult(accepted=True, status=self._state.status, message=what)

    def _require_open(
        self, agent_id: str, reason: str, role: str | None, *, approving: bool
    ) -> None:
        if self._state.status != AssistedStatus.AWAITING_APPROVAL or self._pending is not None:
            raise ApplicationError(
                f"not awaiting approval: the case is {self._state.status.value}",
                type="invalid_state",
            )
        if not reason.strip():
            raise ApplicationError("a decision needs a reason", type="invalid_input")
        refusal = approval_refusal(
            approver=agent_id,
            requester=self._request.requested_by,
            role=role,
            rules=self._rules,
            earlier=[a.approver for a in self._state.approvals],
            rejecting=not approving,
        )
        if refusal is not None:
            raise ApplicationError(refusal, type="not_allowed")

    # -- state helpers -------------------------------------------------------

    def _outcome_of(self, step: AssistedStep, status: str, detail: str = "") -> None:
        self._saga.record(step, status, detail)

    def _set_status(self, status: AssistedStatus, step: AssistedStep | None = None) -> None:
        self._saga.set_status(status, step)


def _system(outcome: FinalOutcome, reason: str, points: int | None = None) -> AssistedDecision:
    return AssistedDecision(
        outcome=outcome,
        approver=SYSTEM_APPROVER,
        reason=reason,
        points=points,
    )

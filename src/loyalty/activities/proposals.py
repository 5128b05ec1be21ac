"""Agent-assisted case steps: propose (and log), record the decision, grant the credit.

Adapters over :class:`loyalty.agents.service.ProposalService` and the ledger:
``ProposeReward`` turns the service's report into the workflow's payload,
``RecordDecision`` logs the final decision, and ``GrantGoodwillCredit`` posts
an ``adjust`` credit marked as assisted (``loyalty.ledger.discretionary``),
idempotent on ``<workflow_id>:credit``, after the ledger checked the member's
cap and the program's budgets again under its locks (refused: ``cap_reached``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields

from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.agents.proposal import ProposalRequest, Severity
from loyalty.agents.service import ProposalReport, ProposalService
from loyalty.contracts.assisted import (
    GRANT_GOODWILL_CREDIT,
    PROPOSE_REWARD,
    RECORD_DECISION,
    ApprovalRulesPayload,
    Citation,
    CreditGranted,
    DecisionRecorded,
    GrantGoodwillCredit,
    GuardrailCase,
    MemberFactsPayload,
    ParametersPayload,
    ProposalOutcome,
    ProposalView,
    ProposeReward,
    RecordDecision,
    RetrievedRefPayload,
    VerdictReason,
    VerdictView,
)
from loyalty.domain.approvals import SYSTEM_APPROVER
from loyalty.domain.credit_caps import CreditLimits, CreditPurpose
from loyalty.domain.guardrail_types import CasePurpose, GuardrailInput, GuardrailVerdict
from loyalty.domain.program import TIERED_PARAMETERS, ProgramParameters
from loyalty.ledger.discretionary import credit_reason
from loyalty.ledger.repository import Ledger


class ProposalActivities:
    """``caps`` reads a purpose's caps from the policies in force when a credit posts."""

    def __init__(
        self,
        *,
        proposals: ProposalService,
        ledger: Ledger,
        caps: Callable[[CreditPurpose], CreditLimits],
    ) -> None:
        self._proposals = proposals
        self._ledger = ledger
        self._caps = caps

    @activity.defn(name=PROPOSE_REWARD)
    @business_errors
    def propose_reward(self, request: ProposeReward) -> ProposalOutcome:
        report = self._proposals.propose(
            ProposalRequest(
                case_id=request.decision_id,
                member_id=request.member_id,
                purpose=CasePurpose(request.purpose),
                summary=request.reason,
                severity=Severity(request.severity) if request.severity else None,
                reward_id=request.reward_id,
                requested_by=request.requested_by,
            )
        )
        return _outcome(report)

    @activity.defn(name=RECORD_DECISION)
    @business_errors
    def record_decision(self, request: RecordDecision) -> DecisionRecorded:
        entry = self._proposals.decide(
            decision_id=request.decision_id,
            outcome=request.outcome,
            approver=request.approver,
            reason=request.reason,
            points=request.points,
            second_approver=request.second_approver,
        )
        return DecisionRecorded(
            row_id=entry.row_id,
            outcome=entry.final_decision or request.outcome,
            approver=entry.approver or request.approver,
            points=entry.final_points,
        )

    @activity.defn(name=GRANT_GOODWILL_CREDIT)
    @business_errors
    def grant_goodwill_credit(self, request: GrantGoodwillCredit) -> CreditGranted:
        purpose = CreditPurpose(request.purpose)
        entry = self._ledger.adjust(
            member_id=request.member_id,
            points=request.points,
            reason=credit_reason(purpose, request.decision_id),
            actor=request.approver,
            idempotency_key=request.idempotency_key,
            expires_at=request.expires_at,
            caps=self._caps(purpose),
            approved_by_person=request.approver != SYSTEM_APPROVER,
        )
        return CreditGranted(
            entry_id=entry.entry_id, available_after=entry.available_after, replayed=entry.replayed
        )


def _outcome(report: ProposalReport) -> ProposalOutcome:
    proposal = report.proposal
    return ProposalOutcome(
        proposer=report.proposer,
        proposal=ProposalView.model_validate(proposal.model_dump(mode="json"))
        if proposal
        else None,
        verdict=_verdict(report.verdict),
        citations=[Citation(**asdict(cited)) for cited in report.citations],
        case=_guardrail_case(report.checked) if report.checked else None,
        credit_expiry_days=report.credit_expiry_days,
        approval=ApprovalRulesPayload(
            approver_roles=sorted(report.approvals.approver_roles),
            second_approver_threshold_points=report.approvals.second_approver_threshold_points,
            approval_timeout_hours=report.approvals.approval_timeout_hours,
        ),
    )


def _verdict(verdict: GuardrailVerdict) -> VerdictView:
    return VerdictView(
        outcome=verdict.outcome.value,
        points=verdict.points,
        requested_points=verdict.requested_points,
        reward_id=verdict.reward_id,
        reasons=[VerdictReason(code=r.code, message=r.message) for r in verdict.reasons],
    )


def _parameters(params: ProgramParameters) -> ParametersPayload:
    values = {f.name: getattr(params, f.name) for f in fields(ProgramParameters)}
    for name in TIERED_PARAMETERS:
        values[name] = {tier.value: points for tier, points in values[name].items()}
    values["policy_versions"] = dict(params.policy_versions)
    return ParametersPayload(**values)


def _guardrail_case(data: GuardrailInput) -> GuardrailCase:
    """The facts a credit proposal was checked against, for the workflow to re-check edits."""
    member = data.member
    return GuardrailCase(
        purpose=data.purpose.value,
        member=MemberFactsPayload(
            member_id=member.member_id,
            tier=member.tier.value,
            status=member.status.value,
            segments=sorted(member.segments),
            tenure_days=member.tenure_days,
            available_points=member.available_points,
        ),
        retrieved=[
            RetrievedRefPayload(chunk_id=r.chunk_id, policy_id=r.policy_id, version=r.version)
            for r in data.retrieved
        ],
        parameters=_parameters(data.parameters),
        goodwill_credits_30d=data.history.goodwill_credits_30d,
        retention_offers_90d=data.history.retention_offers_90d,
        goodwill_points_today=data.budget.goodwill_points_today,
        retention_points_today=data.budget.retention_points_today,
    )

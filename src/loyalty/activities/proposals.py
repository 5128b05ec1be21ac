"""Agent-assisted case steps: propose (and log), record the decision, grant the credit.

``ProposeReward`` runs the proposer the worker configured (rule-based without
a chat model, the AI proposer with one), applies the guardrails to whatever it
drafted, and appends the proposal row of the decision log. A retry after the
row was written returns the recorded proposal instead of drafting a new one
(a chat model would not answer the same twice). ``GrantGoodwillCredit`` posts
an ``adjust`` credit marked as assisted (``loyalty.ledger.discretionary``),
idempotent on ``<workflow_id>:credit``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.agents.checks import check_run, malformed_verdict
from loyalty.agents.decision_log import (
    DecisionEntry,
    get_decision,
    record_decision,
    record_proposal,
)
from loyalty.agents.ledger_context import CaseFacts, LedgerMemberContext
from loyalty.agents.proposal import (
    ProposalFormatError,
    ProposalRequest,
    ProposalRun,
    RetrievedChunk,
    RewardProposal,
    Severity,
)
from loyalty.agents.runtime import AgentRuntime
from loyalty.contracts.assisted import (
    GRANT_GOODWILL_CREDIT,
    PROPOSE_REWARD,
    RECORD_DECISION,
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
from loyalty.domain import RedemptionLimits
from loyalty.domain.guardrail_types import CasePurpose, GuardrailInput, GuardrailVerdict
from loyalty.domain.program import TIERED_PARAMETERS, ProgramParameters
from loyalty.errors import NotFoundError
from loyalty.ledger.discretionary import credit_reason
from loyalty.ledger.repository import Clock, Ledger, utc_now
from loyalty.policies.book import PolicyNumbers

PROPOSE_TIMEOUT_S = 100.0
_CHUNK_ID = re.compile(r"^(?P<policy>[^@]+)@v(?P<version>\d+)#")


class ProposalActivities:
    """Bound to the worker's database, ledger and agent runtime."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ledger: Ledger,
        runtime: AgentRuntime,
        limits: RedemptionLimits,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._ledger = ledger
        self._runtime = runtime
        self._source = LedgerMemberContext(sessions=sessions, ledger=ledger, clock=clock)
        self._facts = CaseFacts(sessions=sessions, ledger=ledger, limits=limits, clock=clock)

    @activity.defn(name=PROPOSE_REWARD)
    @business_errors
    def propose_reward(self, request: ProposeReward) -> ProposalOutcome:
        numbers = self._runtime.policies.numbers()
        recorded = self._recorded(request.decision_id)
        if recorded is not None:
            return self._replay(recorded, numbers)
        self._source.get_member(request.member_id)  # unknown member: refuse before drafting
        case = ProposalRequest(
            case_id=request.decision_id,
            member_id=request.member_id,
            purpose=CasePurpose(request.purpose),
            summary=request.reason,
            severity=Severity(request.severity) if request.severity else None,
            reward_id=request.reward_id,
            requested_by=request.requested_by,
        )
        proposer = self._runtime.proposer(source=self._source, parameters=numbers.parameters)
        try:
            run = self._runtime.run(proposer.propose(case), timeout_s=PROPOSE_TIMEOUT_S)
        except ProposalFormatError as error:
            return self._malformed(case, proposer.proposer_id, error, numbers)
        return self._check_and_log(case, proposer.proposer_id, run, numbers)

    def _check_and_log(
        self, case: ProposalRequest, proposer: str, run: ProposalRun, numbers: PolicyNumbers
    ) -> ProposalOutcome:
        reward, eligibility = (None, None)
        if case.purpose is CasePurpose.REDEMPTION and run.proposal.reward_id:
            reward, eligibility = self._facts.reward(case.member_id, run.proposal.reward_id)
        data, verdict = check_run(
            run,
            purpose=case.purpose,
            member=self._facts.member(case.member_id),
            parameters=numbers.parameters,
            history=self._facts.history(case.member_id),
            budget=self._facts.budget(),
            reward=reward,
            eligibility=eligibility,
        )
        with self._sessions.begin() as session:
            record_proposal(
                session,
                decision_id=case.case_id,
                request=case,
                proposer=proposer,
                verdict=verdict,
                guardrail_input=data,
                run=run,
            )
        credit = case.purpose is not CasePurpose.REDEMPTION
        return ProposalOutcome(
            proposer=proposer,
            proposal=_proposal_view(run.proposal),
            verdict=_verdict_view(verdict),
            citations=_citations(run.proposal.citations, run.retrieved),
            case=_guardrail_case(data) if credit else None,
            credit_expiry_days=numbers.credit_expiry_days,
        )

    def _malformed(
        self,
        case: ProposalRequest,
        proposer: str,
        error: ProposalFormatError,
        numbers: PolicyNumbers,
    ) -> ProposalOutcome:
        verdict = malformed_verdict(error)
        with self._sessions.begin() as session:
            record_proposal(
                session,
                decision_id=case.case_id,
                request=case,
                proposer=proposer,
                verdict=verdict,
                raw_output=error.raw_output,
                retrieved=error.retrieved,
                tool_calls=error.tool_calls,
            )
        return ProposalOutcome(
            proposer=proposer,
            proposal=None,
            verdict=_verdict_view(verdict),
            credit_expiry_days=numbers.credit_expiry_days,
        )

    def _recorded(self, decision_id: str) -> DecisionEntry | None:
        with self._sessions() as session:
            try:
                return get_decision(session, decision_id=decision_id).proposal
            except NotFoundError:
                return None

    def _replay(self, entry: DecisionEntry, numbers: PolicyNumbers) -> ProposalOutcome:
        """The outcome of a proposal already logged (a retried activity)."""
        proposal = ProposalView.model_validate(entry.proposal) if entry.proposal else None
        verdict = VerdictView(
            outcome=entry.verdict or "reject",
            points=entry.verdict_points,
            requested_points=proposal.points if proposal else None,
            reward_id=proposal.reward_id if proposal else None,
            reasons=[VerdictReason(**reason) for reason in entry.verdict_reasons],
        )
        chunks = self._runtime.store.get_chunks([r["chunk_id"] for r in entry.retrieved])
        retrieved = [
            RetrievedChunk(
                chunk_id=c.chunk_id,
                policy_id=c.policy_id,
                version=c.version,
                title=c.title,
                section=c.section,
                text=c.text,
                score=0.0,
            )
            for c in chunks
        ]
        citations = _citations(proposal.citations, retrieved) if proposal else []
        case = None
        if proposal is not None and entry.purpose != CasePurpose.REDEMPTION.value:
            case = _case_from_log(entry, numbers)
        return ProposalOutcome(
            proposer=entry.proposer,
            proposal=proposal,
            verdict=verdict,
            citations=citations,
            case=case,
            credit_expiry_days=numbers.credit_expiry_days,
        )

    @activity.defn(name=RECORD_DECISION)
    @business_errors
    def record_decision(self, request: RecordDecision) -> DecisionRecorded:
        with self._sessions.begin() as session:
            entry = record_decision(
                session,
                decision_id=request.decision_id,
                outcome=request.outcome,
                approver=request.approver,
                reason=request.reason,
                points=request.points,
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
        entry = self._ledger.adjust(
            member_id=request.member_id,
            points=request.points,
            reason=credit_reason(request.purpose, request.decision_id),
            actor=request.approver,
            idempotency_key=request.idempotency_key,
            expires_at=request.expires_at,
        )
        return CreditGranted(
            entry_id=entry.entry_id, available_after=entry.available_after, replayed=entry.replayed
        )


def _proposal_view(proposal: RewardProposal) -> ProposalView:
    return ProposalView.model_validate(proposal.model_dump(mode="json"))


def _verdict_view(verdict: GuardrailVerdict) -> VerdictView:
    return VerdictView(
        outcome=verdict.outcome.value,
        points=verdict.points,
        requested_points=verdict.requested_points,
        reward_id=verdict.reward_id,
        reasons=[VerdictReason(code=r.code, message=r.message) for r in verdict.reasons],
    )


def _citations(cited: Sequence[str], retrieved: Sequence[RetrievedChunk]) -> list[Citation]:
    """Each distinct citation with its quoted text, or marked as not retrieved."""
    shown = {chunk.chunk_id: chunk for chunk in retrieved}
    citations = []
    for chunk_id in dict.fromkeys(cited):
        chunk = shown.get(chunk_id)
        if chunk is not None:
            citations.append(
                Citation(
                    chunk_id=chunk.chunk_id,
                    policy_id=chunk.policy_id,
                    version=chunk.version,
                    title=chunk.title,
                    section=chunk.section,
                    text=chunk.text,
                )
            )
            continue
        match = _CHUNK_ID.match(chunk_id)
        citations.append(
            Citation(
                chunk_id=chunk_id,
                policy_id=match["policy"] if match else "",
                version=int(match["version"]) if match else 0,
                retrieved=False,
            )
        )
    return citations


def _case_from_log(entry: DecisionEntry, numbers: PolicyNumbers) -> GuardrailCase:
    """The guardrail facts of a logged credit proposal (its ``inputs`` hold them as JSON)."""
    facts: dict[str, Any] = entry.inputs["facts"]
    return GuardrailCase(
        purpose=entry.purpose,
        member=MemberFactsPayload(**facts["member"]),
        retrieved=[
            RetrievedRefPayload(
                chunk_id=r["chunk_id"], policy_id=r["policy_id"], version=r["version"]
            )
            for r in entry.retrieved
        ],
        parameters=_parameters_payload(numbers.parameters),
        goodwill_credits_30d=facts["history"]["goodwill_credits_30d"],
        retention_offers_90d=facts["history"]["retention_offers_90d"],
        goodwill_points_today=facts["budget"]["goodwill_points_today"],
        retention_points_today=facts["budget"]["retention_points_today"],
    )


def _parameters_payload(params: ProgramParameters) -> ParametersPayload:
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
        parameters=_parameters_payload(data.parameters),
        goodwill_credits_30d=data.history.goodwill_credits_30d,
        retention_offers_90d=data.history.retention_offers_90d,
        goodwill_points_today=data.budget.goodwill_points_today,
        retention_points_today=data.budget.retention_points_today,
    )

"""Proposals as a service: draft one, check it against the guardrails, log it; decide later.

The proposer the runtime picks (rule-based without a chat model, the AI
proposer with one) drafts; the pure guardrails judge; the decision log keeps
inputs, retrieved chunks, proposer, proposal and verdict. Proposing twice for
one case returns what was logged the first time: a chat model would not
answer the same twice, and a retried activity must not draft anew.

Ledger facts arrive through :class:`~loyalty.agents.context.CaseFactsSource`
and :class:`~loyalty.agents.context.MemberContextSource`, which the worker
implements over the ledger; this package never reads ledger tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from loyalty.agents.checks import check_run, malformed_verdict
from loyalty.agents.context import CaseFactsSource, MemberContextSource
from loyalty.agents.decision_log import (
    DecisionEntry,
    FinalDecision,
    get_decision,
    record_decision,
    record_proposal,
)
from loyalty.agents.proposal import (
    ProposalFormatError,
    ProposalRequest,
    ProposalRun,
    RetrievedChunk,
    RewardProposal,
)
from loyalty.agents.runtime import AgentRuntime
from loyalty.domain.approvals import ApprovalRules
from loyalty.domain.guardrail_types import (
    BudgetUsage,
    CasePurpose,
    CreditHistory,
    GuardrailInput,
    GuardrailVerdict,
    MemberFacts,
    RetrievedRef,
    VerdictOutcome,
)
from loyalty.domain.program import ProgramParameters
from loyalty.domain.reasons import Reason
from loyalty.domain.tiers import MemberStatus, Tier
from loyalty.errors import NotFoundError
from loyalty.policies.book import PolicyNumbers

PROPOSE_TIMEOUT_S = 100.0
_CHUNK_ID = re.compile(r"^(?P<policy>[^@]+)@v(?P<version>\d+)#")


@dataclass(frozen=True, slots=True, kw_only=True)
class CitedChunk:
    """A chunk a proposal cites, with the text the proposer was shown.

    ``retrieved`` is False for a citation of a chunk that was not retrieved for
    this case (the guardrails reject such a proposal); its text is then empty.
    """

    chunk_id: str
    policy_id: str
    version: int
    title: str = ""
    section: str = ""
    text: str = ""
    retrieved: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalReport:
    """One logged proposal and its verdict.

    Attributes:
        proposal: None when the proposer's answer was not a proposal at all.
        checked: For a points credit, the facts it was checked against, so an
            edit can be re-checked against the very same facts.
        credit_expiry_days: Life of a granted credit, from POL-EXPIRY-001.
        approvals: Who may approve and when two must, from POL-APPROVAL-001.
    """

    proposer: str
    proposal: RewardProposal | None
    verdict: GuardrailVerdict
    citations: tuple[CitedChunk, ...]
    checked: GuardrailInput | None
    credit_expiry_days: int
    approvals: ApprovalRules


class ProposalService:
    """Bound to the worker's database, agent runtime and ledger facts."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        runtime: AgentRuntime,
        context: MemberContextSource,
        facts: CaseFactsSource,
    ) -> None:
        self._sessions = sessions
        self._runtime = runtime
        self._context = context
        self._facts = facts

    def propose(self, case: ProposalRequest) -> ProposalReport:
        """Draft, check and log a proposal for ``case`` (or return the one logged)."""
        numbers = self._runtime.policies.numbers()
        logged = self._logged(case.case_id)
        if logged is not None:
            return self._from_log(logged, numbers)
        self._context.get_member(case.member_id)  # unknown member: refuse before drafting
        proposer = self._runtime.proposer(source=self._context, parameters=numbers.parameters)
        try:
            run = self._runtime.run(proposer.propose(case), timeout_s=PROPOSE_TIMEOUT_S)
        except ProposalFormatError as error:
            return self._malformed(case, proposer.proposer_id, error, numbers)
        return self._check_and_log(case, proposer.proposer_id, run, numbers)

    def decide(
        self,
        *,
        decision_id: str,
        outcome: FinalDecision,
        approver: str,
        reason: str,
        points: int | None,
        second_approver: str | None = None,
    ) -> DecisionEntry:
        """Log the final decision of a case (see ``decision_log.record_decision``)."""
        rules = self._runtime.policies.approval_rules()
        with self._sessions.begin() as session:
            return record_decision(
                session,
                decision_id=decision_id,
                outcome=outcome,
                approver=approver,
                reason=reason,
                points=points,
                second_approver=second_approver,
                rules=rules,
            )

    def _check_and_log(
        self, case: ProposalRequest, proposer: str, run: ProposalRun, numbers: PolicyNumbers
    ) -> ProposalReport:
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
            requested_reward_id=case.reward_id,
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
        return ProposalReport(
            proposer=proposer,
            proposal=run.proposal,
            verdict=verdict,
            citations=cite(run.proposal.citations, run.retrieved),
            checked=data if credit else None,
            credit_expiry_days=numbers.credit_expiry_days,
            approvals=numbers.approvals,
        )

    def _malformed(
        self,
        case: ProposalRequest,
        proposer: str,
        error: ProposalFormatError,
        numbers: PolicyNumbers,
    ) -> ProposalReport:
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
        return ProposalReport(
            proposer=proposer,
            proposal=None,
            verdict=verdict,
            citations=(),
            checked=None,
            credit_expiry_days=numbers.credit_expiry_days,
            approvals=numbers.approvals,
        )

    def _logged(self, decision_id: str) -> DecisionEntry | None:
        with self._sessions() as session:
            try:
                return get_decision(session, decision_id=decision_id).proposal
            except NotFoundError:
                return None

    def _from_log(self, entry: DecisionEntry, numbers: PolicyNumbers) -> ProposalReport:
        """The report of a proposal already logged (a retried activity)."""
        proposal = RewardProposal.model_validate(entry.proposal) if entry.proposal else None
        verdict = GuardrailVerdict(
            outcome=VerdictOutcome(entry.verdict or VerdictOutcome.REJECT),
            points=entry.verdict_points,
            requested_points=proposal.points if proposal else None,
            reward_id=proposal.reward_id if proposal else None,
            reasons=tuple(Reason(**reason) for reason in entry.verdict_reasons),
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
        credit = proposal is not None and entry.purpose != CasePurpose.REDEMPTION.value
        return ProposalReport(
            proposer=entry.proposer,
            proposal=proposal,
            verdict=verdict,
            citations=cite(proposal.citations, retrieved) if proposal else (),
            checked=_checked_from_log(entry, proposal, numbers.parameters) if credit else None,
            credit_expiry_days=numbers.credit_expiry_days,
            approvals=numbers.approvals,
        )


def cite(cited: Sequence[str], retrieved: Sequence[RetrievedChunk]) -> tuple[CitedChunk, ...]:
    """Each distinct citation with its quoted text, or marked as not retrieved."""
    shown = {chunk.chunk_id: chunk for chunk in retrieved}
    citations = []
    for chunk_id in dict.fromkeys(cited):
        chunk = shown.get(chunk_id)
        if chunk is not None:
            citations.append(
                CitedChunk(
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
            CitedChunk(
                chunk_id=chunk_id,
                policy_id=match["policy"] if match else "",
                version=int(match["version"]) if match else 0,
                retrieved=False,
            )
        )
    return tuple(citations)


def _checked_from_log(
    entry: DecisionEntry, proposal: RewardProposal | None, parameters: ProgramParameters
) -> GuardrailInput:
    """The guardrail facts of a logged credit proposal (its ``inputs`` hold them as JSON)."""
    assert proposal is not None
    facts: dict[str, Any] = entry.inputs["facts"]
    member = facts["member"]
    return GuardrailInput(
        purpose=CasePurpose(entry.purpose),
        proposal=proposal.to_candidate(),
        member=MemberFacts(
            member_id=member["member_id"],
            tier=Tier(member["tier"]),
            status=MemberStatus(member["status"]),
            segments=frozenset(member["segments"]),
            tenure_days=member["tenure_days"],
            available_points=member["available_points"],
        ),
        retrieved=tuple(
            RetrievedRef(chunk_id=r["chunk_id"], policy_id=r["policy_id"], version=r["version"])
            for r in entry.retrieved
        ),
        parameters=parameters,
        history=CreditHistory(**facts["history"]),
        budget=BudgetUsage(**facts["budget"]),
    )

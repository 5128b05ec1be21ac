"""The rule-based proposer: what runs when no chat model is configured.

It asks the retriever one question per case, worded the way a support agent
would ask it and spanning every policy the case depends on (a goodwill credit
needs its cap, the approval threshold and the daily budget), and cites the
best section of every policy that came back. It takes its numbers from
:class:`ProgramParameters` only. The case summary
can select a fraction of the tier cap (a *major* incident gets the cap, a
*minor* one a quarter of it) but never more than the cap: the severity comes
from the typed request first and from keywords only when the agent gave none.
Member notes are not read at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from loyalty.agents.context import MemberContextSource
from loyalty.agents.policy_store import SearchFilter
from loyalty.agents.proposal import (
    RULES_PROPOSER,
    ProposalRequest,
    ProposalRun,
    RewardProposal,
    Severity,
)
from loyalty.agents.retrieval import PolicyRetriever, RetrievedChunk
from loyalty.domain.guardrail_types import CasePurpose, ProposalAction
from loyalty.domain.program import ProgramParameters
from loyalty.domain.tiers import Tier

SEVERITY_PERCENT_OF_CAP: dict[Severity, int] = {
    Severity.MINOR: 25,
    Severity.MODERATE: 50,
    Severity.MAJOR: 100,
}
_KEYWORDS: tuple[tuple[Severity, re.Pattern[str]], ...] = (
    (Severity.MAJOR, re.compile(r"\b(missed|booked|lost|cancel+ed|never arrived|time-limited)\b")),
    (Severity.MODERATE, re.compile(r"\b(damaged|broken|did not work|failed|outage|defective)\b")),
    (Severity.MINOR, re.compile(r"\b(late|delay(ed)?|slow)\b")),
)


@dataclass(frozen=True, slots=True)
class _CaseQuestion:
    """What the proposer asks for one kind of case, and the policies the answer needs."""

    question: str
    needs: tuple[str, ...]


_QUESTIONS: dict[CasePurpose, _CaseQuestion] = {
    CasePurpose.GOODWILL: _CaseQuestion(
        "What is the most goodwill an agent may credit a member for one incident, above what "
        "amount must a supervisor approve it, and how much of the daily goodwill budget is left?",
        ("POL-GOODWILL-001", "POL-APPROVAL-001", "POL-BUDGET-001"),
    ),
    CasePurpose.RETENTION: _CaseQuestion(
        "How large a retention offer can a member at risk of churn get, when does it need "
        "human approval, and how much of the daily retention budget does it use?",
        ("POL-RETENTION-001", "POL-APPROVAL-001", "POL-BUDGET-001"),
    ),
    CasePurpose.REDEMPTION: _CaseQuestion(
        "What are the size limits on a single redemption, and which reward categories is the "
        "member's tier eligible for?",
        ("POL-REDEMPTION-001", "POL-ELIGIBILITY-001"),
    ),
}


def judge_severity(request: ProposalRequest) -> Severity:
    """The agent's typed severity, else the strongest keyword in the summary, else moderate."""
    if request.severity is not None:
        return request.severity
    summary = request.summary.lower()
    for severity, pattern in _KEYWORDS:
        if pattern.search(summary):
            return severity
    return Severity.MODERATE


class RuleBasedProposer:
    """Deterministic proposals from policy parameters.

    Args:
        source: Member data (only the tier is read).
        retriever: Policy retrieval, shared with the AI proposer.
        parameters: The numbers in force.
    """

    proposer_id = RULES_PROPOSER

    def __init__(
        self,
        *,
        source: MemberContextSource,
        retriever: PolicyRetriever,
        parameters: ProgramParameters,
    ) -> None:
        self._source = source
        self._retriever = retriever
        self._parameters = parameters

    async def propose(self, request: ProposalRequest) -> ProposalRun:
        """Draft one proposal for ``request``."""
        member = self._source.get_member(request.member_id)
        tier = Tier(member.tier)
        retrieved, citations = self._retrieve(request)
        if request.purpose is CasePurpose.REDEMPTION:
            proposal = self._redemption(request, citations)
        else:
            proposal = self._credit(request, tier, citations)
        return ProposalRun(
            proposal=proposal,
            retrieved=retrieved,
            raw_output=json.dumps(proposal.model_dump(mode="json"), sort_keys=True),
        )

    def _retrieve(self, request: ProposalRequest) -> tuple[list[RetrievedChunk], list[str]]:
        """Every chunk retrieved for the case, and the best chunk of each policy among them."""
        case = _QUESTIONS[request.purpose]
        retrieved = self._retriever.retrieve(case.question, k=len(case.needs))
        # A policy the numbers depend on is always cited: if the question did not
        # bring it, it is fetched on its own (filtered to that policy).
        found = {chunk.policy_id for chunk in retrieved}
        missing = frozenset(case.needs) - found
        if missing:
            only = SearchFilter(policy_ids=missing)
            retrieved += self._retriever.retrieve(case.question, k=len(missing), filters=only)
        best: dict[str, str] = {}
        for chunk in retrieved:
            best.setdefault(chunk.policy_id, chunk.chunk_id)
        return retrieved, list(best.values())

    def _credit(self, request: ProposalRequest, tier: Tier, citations: list[str]) -> RewardProposal:
        retention = request.purpose is CasePurpose.RETENTION
        caps = (
            self._parameters.retention_offer_max_points
            if retention
            else self._parameters.goodwill_max_points
        )
        severity = Severity.MODERATE if retention else judge_severity(request)
        percent = SEVERITY_PERCENT_OF_CAP[severity]
        points = caps[tier] * percent // 100
        kind = "retention offer" if retention else f"goodwill credit ({severity.value} incident)"
        rationale = (
            f"{kind.capitalize()} for a {tier.value} member: {percent}% of the tier cap of "
            f"{caps[tier]} points, per {_policies(citations)}."
        )
        return RewardProposal(
            action=ProposalAction.POINTS_CREDIT.value,
            points=points,
            rationale=rationale,
            citations=citations,
            proposer=RULES_PROPOSER,
        )

    def _redemption(self, request: ProposalRequest, citations: list[str]) -> RewardProposal:
        return RewardProposal(
            action=ProposalAction.REWARD_REDEMPTION.value,
            reward_id=request.reward_id,
            rationale=(
                f"Redeem reward {request.reward_id} as requested; size and eligibility "
                f"limits per {_policies(citations)}."
            ),
            citations=citations,
            proposer=RULES_PROPOSER,
        )


def _policies(citations: Sequence[str]) -> str:
    """The cited policy ids, in citation order: ``POL-A-001, POL-B-001``."""
    return ", ".join(chunk_id.split("@", 1)[0] for chunk_id in citations) or "no policy found"

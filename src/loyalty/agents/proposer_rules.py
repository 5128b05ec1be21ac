"""The rule-based proposer: what runs when no chat model is configured.

It retrieves the governing policy sections the same way the AI proposer does
and takes its numbers from :class:`ProgramParameters` only. The case summary
can select a fraction of the tier cap (a *major* incident gets the cap, a
*minor* one a quarter of it) but never more than the cap: the severity comes
from the typed request first and from keywords only when the agent gave none.
Member notes are not read at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

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

# (question, policy id) pairs retrieved for each kind of case; the first chunk
# of each becomes a citation.
_QUESTIONS: dict[CasePurpose, tuple[tuple[str, str], ...]] = {
    CasePurpose.GOODWILL: (
        ("maximum goodwill credit per incident for the member's tier", "POL-GOODWILL-001"),
        ("human approval threshold for discretionary credits by tier", "POL-APPROVAL-001"),
    ),
    CasePurpose.RETENTION: (
        ("retention offer size by tier for members at risk of churn", "POL-RETENTION-001"),
        ("human approval threshold for discretionary credits by tier", "POL-APPROVAL-001"),
    ),
    CasePurpose.REDEMPTION: (
        ("limits on the size of a single points redemption", "POL-REDEMPTION-001"),
        ("which tiers may redeem which catalog rewards", "POL-ELIGIBILITY-001"),
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
        retrieved: list[RetrievedChunk] = []
        citations: list[str] = []
        for question, policy_id in _QUESTIONS[request.purpose]:
            only = SearchFilter(policy_ids=frozenset({policy_id}))
            chunks = self._retriever.retrieve(question, k=2, filters=only)
            retrieved.extend(chunks)
            if chunks:
                citations.append(chunks[0].chunk_id)
        return _unique(retrieved), citations

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
            f"{caps[tier]} points, per the cited policy sections."
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
                "limits per the cited policy sections."
            ),
            citations=citations,
            proposer=RULES_PROPOSER,
        )


def _unique(chunks: Sequence[RetrievedChunk]) -> list[RetrievedChunk]:
    seen: dict[str, RetrievedChunk] = {}
    for chunk in chunks:
        seen.setdefault(chunk.chunk_id, chunk)
    return list(seen.values())

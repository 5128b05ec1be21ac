"""The append-only agent decision log: record a proposal, then its final decision.

Every case writes a ``proposal`` row (inputs and their sha256, retrieved
chunks and versions, proposer, raw answer, guardrail verdict) and later one
``decision`` row (approved / rejected / expired, the approver, the reason).
Both calls are idempotent on ``decision_id``: a retried activity gets the
first row back, while a different payload under the same id is a conflict.

The decision obeys the verdict: a rejected proposal can only be rejected; a
proposal that needs approval needs a named person who is not the requester,
and above POL-APPROVAL-001's second-approver threshold a second, different
person (``loyalty.domain.approvals``); ``system`` may approve only what the
guardrails accepted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from loyalty.agents.proposal import ProposalRequest, ProposalRun
from loyalty.agents.retrieval import RetrievedChunk
from loyalty.domain.approvals import ApprovalRules, approval_refusal
from loyalty.domain.guardrail_types import GuardrailInput, GuardrailVerdict, VerdictOutcome
from loyalty.errors import IdempotencyConflictError, InvalidStateError, NotFoundError
from loyalty.ledger.decision_models import AgentDecision

FinalDecision = Literal["approved", "rejected", "expired"]


@dataclass(frozen=True, slots=True)
class DecisionEntry:
    """One row of the log, detached from the ORM."""

    row_id: int
    decision_id: str
    kind: str
    case_id: str
    member_id: str
    purpose: str
    requested_by: str
    input_hash: str
    inputs: dict[str, Any]
    retrieved: list[dict[str, Any]]
    proposer: str
    proposal: dict[str, Any] | None
    raw_output: str
    tool_calls: list[str]
    verdict: str | None
    verdict_points: int | None
    verdict_reasons: list[dict[str, Any]]
    final_decision: str | None
    final_points: int | None
    approver: str | None
    decision_reason: str
    created_at: dt.datetime
    second_approver: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionHistory:
    proposal: DecisionEntry
    decision: DecisionEntry | None


def hash_inputs(inputs: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of ``inputs`` (sorted keys, no spaces)."""
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def describe_inputs(
    request: ProposalRequest, guardrail_input: GuardrailInput | None
) -> dict[str, Any]:
    """The fields a decision used, as JSON: the request and every typed guardrail fact."""
    inputs: dict[str, Any] = {"request": request.model_dump(mode="json")}
    if guardrail_input is not None:
        facts = {
            name: getattr(guardrail_input, name)
            for name in ("member", "history", "budget", "reward", "eligibility")
        }
        inputs["facts"] = json.loads(json.dumps(_jsonable(facts), default=str))
        inputs["policy_versions"] = dict(guardrail_input.parameters.policy_versions)
    return inputs


def record_proposal(
    session: Session,
    *,
    decision_id: str,
    request: ProposalRequest,
    proposer: str,
    verdict: GuardrailVerdict,
    guardrail_input: GuardrailInput | None = None,
    run: ProposalRun | None = None,
    raw_output: str = "",
    retrieved: Sequence[RetrievedChunk] = (),
    tool_calls: Sequence[str] = (),
) -> DecisionEntry:
    """Append the proposal row of a case; idempotent on ``decision_id``.

    Pass ``run`` for a parsed proposal; for an answer that failed to parse,
    pass ``raw_output``, ``retrieved`` and ``tool_calls`` from the error.

    Raises:
        IdempotencyConflictError: The id was recorded with different inputs.
    """
    inputs = describe_inputs(request, guardrail_input)
    if run is not None:
        raw_output, retrieved, tool_calls = run.raw_output, run.retrieved, run.tool_calls
    values = {
        "decision_id": decision_id,
        "kind": "proposal",
        "case_id": request.case_id,
        "member_id": request.member_id,
        "purpose": request.purpose.value,
        "requested_by": request.requested_by,
        "input_hash": hash_inputs(inputs),
        "inputs": inputs,
        "retrieved": [_chunk_ref(chunk) for chunk in retrieved],
        "proposer": proposer,
        "proposal": run.proposal.model_dump(mode="json") if run is not None else None,
        "raw_output": raw_output,
        "tool_calls": list(tool_calls),
        "verdict": verdict.outcome.value,
        "verdict_points": verdict.points,
        "verdict_reasons": [{"code": r.code, "message": r.message} for r in verdict.reasons],
        "decision_reason": "",
    }
    entry = _insert_once(session, values)
    if entry.input_hash != values["input_hash"] or entry.verdict != values["verdict"]:
        raise IdempotencyConflictError(f"decision {decision_id} was recorded with other inputs")
    return entry


def record_decision(
    session: Session,
    *,
    decision_id: str,
    outcome: FinalDecision,
    approver: str,
    reason: str = "",
    points: int | None = None,
    second_approver: str | None = None,
    rules: ApprovalRules | None = None,
) -> DecisionEntry:
    """Append the final decision of a case; idempotent for the same outcome and approver.

    ``points`` is the value approved when a person edited it (the caller has
    checked the edit against the guardrails); by default the verdict's value.
    ``rules`` (POL-APPROVAL-001 in force) say when ``second_approver`` is required.

    Raises:
        NotFoundError: No proposal was recorded under ``decision_id``.
        InvalidStateError: The decision contradicts the verdict, the approver
            may not approve it, or the case was already decided otherwise.
    """
    proposal = _get_row(session, decision_id=decision_id, kind="proposal")
    if proposal is None:
        raise NotFoundError(f"no proposal recorded for decision {decision_id}")
    approved = outcome == "approved"
    value = (proposal.verdict_points if points is None else points) if approved else None
    approvers = [approver, *([second_approver] if second_approver else [])]
    _require_allowed(proposal, outcome=outcome, approvers=approvers, rules=rules, points=value)
    values = {
        **{c: getattr(proposal, c) for c in _CARRIED_OVER},
        "kind": "decision",
        "proposal_row_id": proposal.id,
        "proposal": None,
        "raw_output": "",
        "tool_calls": [],
        "retrieved": [],
        "verdict": None,
        "verdict_points": None,
        "verdict_reasons": [],
        "final_decision": outcome,
        "final_points": value,
        "approver": approver,
        "second_approver": second_approver,
        "decision_reason": reason,
    }
    entry = _insert_once(session, values)
    if entry.final_decision != outcome or entry.approver != approver:
        raise InvalidStateError(
            f"decision {decision_id} is already {entry.final_decision} by {entry.approver}"
        )
    return entry


def get_decision(session: Session, *, decision_id: str) -> DecisionHistory:
    """The proposal row and, once decided, the decision row of a case."""
    proposal = _get_row(session, decision_id=decision_id, kind="proposal")
    if proposal is None:
        raise NotFoundError(f"decision {decision_id} not found")
    decision = _get_row(session, decision_id=decision_id, kind="decision")
    return DecisionHistory(
        proposal=_entry(proposal), decision=_entry(decision) if decision else None
    )


def list_decisions(session: Session, *, member_id: str, limit: int = 50) -> list[DecisionEntry]:
    """A member's log rows, newest first."""
    rows = session.scalars(
        select(AgentDecision)
        .where(AgentDecision.member_id == member_id)
        .order_by(AgentDecision.id.desc())
        .limit(limit)
    )
    return [_entry(row) for row in rows]


_CARRIED_OVER = (
    "decision_id",
    "case_id",
    "member_id",
    "purpose",
    "requested_by",
    "input_hash",
    "inputs",
    "proposer",
)


def _require_allowed(
    proposal: AgentDecision,
    *,
    outcome: FinalDecision,
    approvers: list[str],
    rules: ApprovalRules | None,
    points: int | None,
) -> None:
    if not approvers[0].strip():
        raise InvalidStateError("a decision needs an approver")
    if outcome != "approved":
        return
    verdict = VerdictOutcome(proposal.verdict or VerdictOutcome.REJECT)
    if verdict is VerdictOutcome.REJECT:
        raise InvalidStateError("the guardrails rejected this proposal; it cannot be approved")
    if verdict is not VerdictOutcome.NEEDS_APPROVAL:
        return
    for index, approver in enumerate(approvers):
        refusal = approval_refusal(
            approver=approver, requester=proposal.requested_by, earlier=approvers[:index]
        )
        if refusal is not None:
            raise InvalidStateError(refusal)
    if rules is not None and len(approvers) < rules.approvals_needed(points):
        raise InvalidStateError(f"{points} points needs two different approvers (POL-APPROVAL-001)")


def _insert_once(session: Session, values: dict[str, Any]) -> DecisionEntry:
    # ON CONFLICT DO NOTHING, then read: a concurrent or repeated insert
    # returns the first row instead of failing (rows are never updated).
    session.execute(
        insert(AgentDecision)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_agent_decisions_decision_kind")
    )
    row = _get_row(session, decision_id=values["decision_id"], kind=values["kind"])
    if row is None:  # pragma: no cover - the insert or the conflicting row exists
        raise InvalidStateError("decision log row vanished")
    return _entry(row)


def _get_row(session: Session, *, decision_id: str, kind: str) -> AgentDecision | None:
    return session.scalars(
        select(AgentDecision).where(
            AgentDecision.decision_id == decision_id, AgentDecision.kind == kind
        )
    ).one_or_none()


def _chunk_ref(chunk: RetrievedChunk) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id,
        "policy_id": chunk.policy_id,
        "version": chunk.version,
        "score": round(chunk.score, 6),
    }


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return _jsonable(asdict(value))
    if isinstance(value, Mapping):
        return {str(getattr(k, "value", k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return getattr(value, "value", value)


def _entry(row: AgentDecision) -> DecisionEntry:
    return DecisionEntry(
        row_id=row.id,
        decision_id=row.decision_id,
        kind=row.kind,
        case_id=row.case_id,
        member_id=row.member_id,
        purpose=row.purpose,
        requested_by=row.requested_by,
        input_hash=row.input_hash,
        inputs=row.inputs,
        retrieved=row.retrieved,
        proposer=row.proposer,
        proposal=row.proposal,
        raw_output=row.raw_output,
        tool_calls=row.tool_calls,
        verdict=row.verdict,
        verdict_points=row.verdict_points,
        verdict_reasons=row.verdict_reasons,
        final_decision=row.final_decision,
        final_points=row.final_points,
        approver=row.approver,
        decision_reason=row.decision_reason,
        created_at=row.created_at,
        second_approver=row.second_approver,
    )

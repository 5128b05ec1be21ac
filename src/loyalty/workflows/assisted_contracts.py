"""Wire contracts of the agent-assisted workflows: AssistedRedemption and IngestPolicies.

Names and JSON payloads, stable across languages (see ``contracts.py`` for the
rules: add fields with defaults; never rename or remove one).

AssistedRedemption (id ``assisted-<request_id>``):
    input ``AssistedRequest``; result and query ``state`` -> ``AssistedState``;
    updates ``approve`` / ``reject`` (``ReviewDecision``) and ``edit``
    (``EditDecision``), each -> ``AssistedUpdateResult``.
RewardProposal (id ``proposal-<request_id>``): propose only, nothing executes;
    input ``ProposalCase``; result ``ProposalResult``.
IngestPolicies (id ``policy-ingestion`` by convention, one at a time):
    input ``IngestRequest``; result and query ``state`` -> ``IngestionState``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from loyalty.workflows.contracts import Contract, Identifier, Reason
from loyalty.workflows.contracts import ReviewDecision as ReviewDecision

ASSISTED_WORKFLOW = "AssistedRedemption"
PROPOSAL_WORKFLOW = "RewardProposal"
INGEST_WORKFLOW = "IngestPolicies"
INGEST_WORKFLOW_ID = "policy-ingestion"
QUERY_STATE = "state"
UPDATE_APPROVE = "approve"
UPDATE_REJECT = "reject"
UPDATE_EDIT = "edit"
ASSISTED_CHANNEL = "assisted"
SYSTEM_APPROVER = "system"  # the guardrails' own decisions; never a person's id

# decision_id in the decision log is at most 64 characters: "assisted-" + 55.
RequestId = Annotated[str, StringConstraints(min_length=1, max_length=55, strip_whitespace=True)]
Purpose = Literal["goodwill", "retention", "redemption"]
FinalOutcome = Literal["approved", "rejected", "expired"]


def assisted_workflow_id(request_id: str) -> str:
    return f"assisted-{request_id}"


def proposal_workflow_id(request_id: str) -> str:
    return f"proposal-{request_id}"


def assisted_redemption_request_id(request_id: str) -> str:
    """The child Redemption's request id; its workflow id is ``redemption-assisted-<id>``."""
    return f"assisted-{request_id}"


class AssistedStatus(StrEnum):
    PROPOSING = "proposing"
    AWAITING_APPROVAL = "awaiting_approval"
    EXECUTING = "executing"
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in {self.COMPLETED, self.REJECTED, self.FAILED}


class AssistedStep(StrEnum):
    PROPOSE = "propose"
    AWAIT_APPROVAL = "await_approval"
    RECORD_DECISION = "record_decision"
    GRANT_CREDIT = "grant_credit"
    REDEEM_REWARD = "redeem_reward"


class AssistedRequest(Contract):
    """Input of AssistedRedemption: a support agent's case for one member.

    ``reason`` is free text from people: evidence for the proposer, never a
    source of limits.
    """

    request_id: RequestId
    member_id: Identifier
    reason: Annotated[str, StringConstraints(min_length=3, max_length=4000, strip_whitespace=True)]
    purpose: Purpose = "goodwill"
    severity: Literal["minor", "moderate", "major"] | None = None
    reward_id: Identifier | None = None
    requested_by: Identifier
    approval_timeout_s: float = Field(default=24 * 3600.0, gt=0)


class ProposalCase(Contract):
    """Input of RewardProposal: the same case as AssistedRequest, without execution."""

    request_id: RequestId
    member_id: Identifier
    reason: Annotated[str, StringConstraints(min_length=3, max_length=4000, strip_whitespace=True)]
    purpose: Purpose = "goodwill"
    severity: Literal["minor", "moderate", "major"] | None = None
    reward_id: Identifier | None = None
    requested_by: Identifier


class EditDecision(Contract):
    """Payload of ``edit``: approve with a different points value, within the guardrails."""

    agent_id: Identifier
    reason: Reason
    points: int = Field(gt=0)


class AssistedUpdateResult(Contract):
    accepted: bool
    status: AssistedStatus
    message: str


class Citation(Contract):
    """A policy section the proposal cites, with the quoted text the proposer was shown.

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


class ProposalView(Contract):
    action: str
    points: int | None = None
    reward_id: str | None = None
    rationale: str
    citations: list[str] = Field(default_factory=list)
    proposer: str


class VerdictReason(Contract):
    code: str
    message: str


class VerdictView(Contract):
    """The guardrails' verdict: accept, clamp, needs_approval or reject."""

    outcome: str
    points: int | None = None
    requested_points: int | None = None
    reward_id: str | None = None
    reasons: list[VerdictReason] = Field(default_factory=list)


class ProposalResult(Contract):
    """Result of RewardProposal: what an assisted case would start from."""

    case_id: str
    proposer: str
    proposal: ProposalView | None
    verdict: VerdictView
    citations: list[Citation] = Field(default_factory=list)


class AssistedDecision(Contract):
    """The final decision: who decided what, and the value that was executed."""

    outcome: FinalOutcome
    approver: str
    reason: str
    points: int | None = None
    edited: bool = False


class AssistedStepOutcome(Contract):
    step: AssistedStep
    status: str  # "ok" | "failed" | "skipped"
    at: dt.datetime
    detail: str = ""


class AssistedState(BaseModel):
    """Query result while the case runs, and the result when it closes (mutable in place)."""

    model_config = ConfigDict(extra="forbid")

    case_id: str
    request_id: str
    member_id: str
    purpose: str
    requested_by: str
    reason: str
    status: AssistedStatus = AssistedStatus.PROPOSING
    current_step: AssistedStep | None = None
    proposer: str | None = None
    proposal: ProposalView | None = None
    citations: list[Citation] = Field(default_factory=list)
    verdict: VerdictView | None = None
    decision: AssistedDecision | None = None
    points: int = 0
    reward_id: str | None = None
    credit_entry_id: int | None = None
    redemption_id: str | None = None
    redemption_status: str | None = None
    reasons: list[str] = Field(default_factory=list)
    steps: list[AssistedStepOutcome] = Field(default_factory=list)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    def summary(self) -> str:
        """The one-line memo shown in the Temporal UI."""
        what = f"reward {self.reward_id}" if self.reward_id else f"{self.points} pts"
        return f"{self.member_id} {self.purpose} ({what}) by {self.requested_by}: {self.status}"


class IngestRequest(Contract):
    """Input of IngestPolicies; ``path`` must lie inside the worker's policies folder."""

    path: str | None = None
    requested_by: Identifier = "operator"


class IngestionSummary(Contract):
    documents: int
    current: int
    chunks_upserted: int
    chunks_unchanged: int
    chunks_superseded: int
    skipped: list[str] = Field(default_factory=list)


class IngestionState(BaseModel):
    """Progress is in the activity's heartbeats (``IngestProgress``); this is the outcome."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["running", "completed", "failed"] = "running"
    path: str | None = None
    requested_by: str = "operator"
    summary: IngestionSummary | None = None
    error: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class IngestProgress(Contract):
    """Heartbeat details of the IngestPolicies activity, after each policy id."""

    done: int
    total: int
    policy_id: str

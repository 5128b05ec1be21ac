"""Wire contracts of the agent-assisted workflows and of the activities they call.

AssistedRedemption (id ``assisted-<request_id>``):
    input ``AssistedRequest``; result and query ``state`` -> ``AssistedState``;
    updates ``approve`` / ``reject`` (``ReviewDecision``) and ``edit``
    (``EditDecision``), each -> ``AssistedUpdateResult``.
RewardProposal (id ``proposal-<request_id>``): propose only, nothing executes;
    input ``ProposalCase``; result ``ProposalResult``.

Activities: ``ProposeReward`` drafts, checks and logs one proposal;
``RecordDecision`` logs the final decision; ``GrantGoodwillCredit`` posts the
credit. ``GuardrailCase`` carries the facts a credit proposal was checked
against back to the workflow, which re-runs the pure guardrails on an edit.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints
from temporalio.common import SearchAttributeUpdate

from loyalty.contracts import search
from loyalty.contracts.base import Contract, Identifier, MutableContract, Reason
from loyalty.contracts.redemption import ReviewDecision as ReviewDecision

ASSISTED_WORKFLOW = "AssistedRedemption"
PROPOSAL_WORKFLOW = "RewardProposal"
QUERY_STATE = "state"
UPDATE_APPROVE = "approve"
UPDATE_REJECT = "reject"
UPDATE_EDIT = "edit"
ASSISTED_CHANNEL = "assisted"

# activities
PROPOSE_REWARD = "ProposeReward"
RECORD_DECISION = "RecordDecision"
GRANT_GOODWILL_CREDIT = "GrantGoodwillCredit"

# decision_id in the decision log is at most 64 characters: "assisted-" + 55.
RequestId = Annotated[str, StringConstraints(min_length=1, max_length=55, strip_whitespace=True)]
Purpose = Literal["goodwill", "retention", "redemption"]
FinalOutcome = Literal["approved", "rejected", "expired"]


def assisted_workflow_id(request_id: str) -> str:
    return f"assisted-{request_id}"


def proposal_workflow_id(request_id: str) -> str:
    return f"proposal-{request_id}"


def assisted_redemption_request_id(request_id: str) -> str:
    """The child Redemption's request id; its workflow id is in the system scope."""
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
    # None: as long as POL-APPROVAL-001 in force allows (its approval_timeout_hours).
    approval_timeout_s: float | None = Field(default=None, gt=0)


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
    role: Identifier | None = None


class ApprovalRulesPayload(Contract):
    """POL-APPROVAL-001 as the proposal saw it: who may approve, when two must, how long to wait."""

    approver_roles: list[str]
    second_approver_threshold_points: int
    approval_timeout_hours: float | None = Field(
        default=None,
        description="How long a case may wait for approval; a case still waiting after it is"
        " overdue (an alert). None in proposals from before it was read.",
    )


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
    """The final decision: who decided what, and the value that was executed.

    ``second_approver`` is the other person whose approval the policy required
    above its second-approver threshold.
    """

    outcome: FinalOutcome
    approver: str
    reason: str
    points: int | None = None
    edited: bool = False
    second_approver: str | None = None


class AssistedStepOutcome(Contract):
    step: AssistedStep
    status: str  # "ok" | "failed" | "skipped"
    at: dt.datetime
    detail: str = ""


class AssistedState(MutableContract):
    """Query result while the case runs, and the result when it closes."""

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
    approvals: list[AssistedDecision] = Field(
        default_factory=list, description="First approvals waiting for a second approver."
    )
    points: int = 0
    reward_id: str | None = None
    credit_entry_id: int | None = None
    redemption_id: str | None = None
    redemption_status: str | None = None
    approval_overdue_at: dt.datetime | None = Field(
        default=None,
        description="When the case had waited longer than POL-APPROVAL-001 allows and the"
        " approval_overdue alert went out; it kept waiting.",
    )
    reasons: list[str] = Field(default_factory=list)
    steps: list[AssistedStepOutcome] = Field(default_factory=list)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    def summary(self) -> str:
        """The one-line memo shown in the Temporal UI."""
        what = f"reward {self.reward_id}" if self.reward_id else f"{self.points} pts"
        return f"{self.member_id} {self.purpose} ({what}) by {self.requested_by}: {self.status}"

    def search_attributes(self) -> list[SearchAttributeUpdate[Any]]:
        """As for redemptions, with channel ``assisted`` (see ``contracts.search``)."""
        updates: list[SearchAttributeUpdate[Any]] = [
            search.MEMBER_ID.value_set(self.member_id),
            search.CHANNEL.value_set(ASSISTED_CHANNEL),
            search.STATUS.value_set(self.status.value),
            search.POINTS.value_set(self.points),
        ]
        if self.reward_id:
            updates.append(search.REWARD_ID.value_set(self.reward_id))
        return updates


# -- activity payloads -------------------------------------------------------


class ProposeReward(Contract):
    """Draft, check and log one proposal; ``decision_id`` is the workflow id."""

    decision_id: str
    member_id: str
    purpose: Purpose
    reason: str
    severity: Literal["minor", "moderate", "major"] | None = None
    reward_id: str | None = None
    requested_by: str


class MemberFactsPayload(Contract):
    member_id: str
    tier: str
    status: str
    segments: list[str]
    tenure_days: int
    available_points: int


class RetrievedRefPayload(Contract):
    chunk_id: str
    policy_id: str
    version: int


class ParametersPayload(Contract):
    """Every field of the domain's ``ProgramParameters``; tiered ones keyed by tier name."""

    goodwill_max_points: dict[str, int]
    goodwill_max_per_member_30d: int
    goodwill_daily_budget_points: int
    retention_offer_max_points: dict[str, int]
    retention_offer_max_per_member_90d: int
    retention_min_tenure_days: int
    retention_daily_budget_points: int
    approval_threshold_points: dict[str, int]
    max_points_per_redemption: dict[str, int]
    min_points_per_redemption: int
    min_policy_citations: int
    policy_versions: dict[str, int]
    clamp_limit_percent: int


class GuardrailCase(Contract):
    """The typed facts a points-credit proposal was checked against (no reward facts).

    The activity builds it from the guardrails' input; the workflow turns it
    back into one to re-check an edit (``loyalty.workflows.guardrail_case``).
    """

    purpose: Purpose
    member: MemberFactsPayload
    retrieved: list[RetrievedRefPayload]
    parameters: ParametersPayload
    goodwill_credits_30d: int
    retention_offers_90d: int
    goodwill_points_today: int
    retention_points_today: int


class ProposalOutcome(Contract):
    """What ProposeReward returns: the proposal (None if unparseable), verdict and citations.

    Attributes:
        case: The facts, for points credits (the workflow re-checks edits against them).
        credit_expiry_days: Life of a granted credit, from POL-EXPIRY-001.
    """

    proposer: str
    proposal: ProposalView | None
    verdict: VerdictView
    citations: list[Citation] = Field(default_factory=list)
    case: GuardrailCase | None = None
    credit_expiry_days: int = 730
    approval: ApprovalRulesPayload | None = None


class RecordDecision(Contract):
    decision_id: str
    outcome: Literal["approved", "rejected", "expired"]
    approver: str
    reason: str = ""
    points: int | None = Field(default=None, gt=0)
    second_approver: str | None = None


class DecisionRecorded(Contract):
    row_id: int
    outcome: str
    approver: str
    points: int | None


class GrantGoodwillCredit(Contract):
    """A discretionary points credit; ``idempotency_key`` is ``<workflow_id>:credit``."""

    decision_id: str
    member_id: str
    purpose: Literal["goodwill", "retention"]
    points: int = Field(gt=0)
    expires_at: dt.datetime
    approver: str
    idempotency_key: str


class CreditGranted(Contract):
    entry_id: int
    available_after: int
    replayed: bool


class IngestPolicies(Contract):
    path: str | None = None

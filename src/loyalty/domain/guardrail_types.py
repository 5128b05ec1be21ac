"""The typed inputs and the verdict of :mod:`loyalty.domain.guardrails`.

Only typed facts appear here: no field carries free text that a rule reads,
so a member's note or a document's wording has nowhere to enter a limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from loyalty.domain.eligibility import EligibilityResult
from loyalty.domain.program import ProgramParameters
from loyalty.domain.reasons import Reason
from loyalty.domain.tiers import MemberStatus, Tier

CHURN_RISK_SEGMENT = "churn_risk"


class ProposalAction(StrEnum):
    REWARD_REDEMPTION = "reward_redemption"
    POINTS_CREDIT = "points_credit"


class CasePurpose(StrEnum):
    """Why the case was opened; set by the support agent's typed request."""

    GOODWILL = "goodwill"
    RETENTION = "retention"
    REDEMPTION = "redemption"


class VerdictOutcome(StrEnum):
    ACCEPT = "accept"
    CLAMP = "clamp"
    NEEDS_APPROVAL = "needs_approval"
    REJECT = "reject"


class GuardrailCode(StrEnum):
    """Stable machine codes of guardrail reasons."""

    WITHIN_POLICY = "within_policy"
    UNKNOWN_ACTION = "unknown_action"
    ACTION_NOT_ALLOWED = "action_not_allowed"
    POINTS_REQUIRED = "points_required"
    POINTS_NOT_INTEGER = "points_not_integer"
    POINTS_NOT_POSITIVE = "points_not_positive"
    POINTS_IMPLAUSIBLE = "points_implausible"
    REWARD_REQUIRED = "reward_required"
    REWARD_NOT_EXPECTED = "reward_not_expected"
    CITATION_MISSING = "citation_missing"
    CITATION_NOT_RETRIEVED = "citation_not_retrieved"
    CITATION_STALE = "citation_stale"
    MEMBER_NOT_ACTIVE = "member_not_active"
    VALUE_CLAMPED = "value_clamped"
    FREQUENCY_CAP_REACHED = "frequency_cap_reached"
    NOT_IN_SEGMENT = "not_in_segment"
    TENURE_TOO_SHORT = "tenure_too_short"
    DAILY_BUDGET_EXHAUSTED = "daily_budget_exhausted"
    APPROVAL_REQUIRED = "approval_required"
    REWARD_NOT_FOUND = "reward_not_found"
    REWARD_INACTIVE = "reward_inactive"
    POINTS_MISMATCH = "points_mismatch"
    ELIGIBILITY_UNKNOWN = "eligibility_unknown"
    NOT_ELIGIBLE = "not_eligible"
    OUTSIDE_REDEMPTION_RANGE = "outside_redemption_range"
    INSUFFICIENT_POINTS = "insufficient_points"
    REWARD_SWAPPED = "reward_swapped"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalCandidate:
    """The proposal as drafted; fields are checked here, not trusted.

    ``points`` is typed ``object`` on purpose: a proposer's output is checked
    for being an integer by the guardrail itself.
    """

    action: str
    points: object
    reward_id: str | None
    citations: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrievedRef:
    """A chunk retrieved for this decision: what a citation may point at."""

    chunk_id: str
    policy_id: str
    version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberFacts:
    member_id: str
    tier: Tier
    status: MemberStatus
    segments: frozenset[str]
    tenure_days: int
    available_points: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditHistory:
    """The member's discretionary credits in the policies' rolling windows."""

    goodwill_credits_30d: int
    retention_offers_90d: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetUsage:
    """Discretionary points already granted program-wide today (UTC)."""

    goodwill_points_today: int
    retention_points_today: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardFacts:
    reward_id: str
    point_cost: int
    active: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardrailInput:
    """Everything :func:`evaluate_proposal` looks at; nothing else counts."""

    purpose: CasePurpose
    proposal: ProposalCandidate
    member: MemberFacts
    retrieved: tuple[RetrievedRef, ...]
    parameters: ProgramParameters
    history: CreditHistory
    budget: BudgetUsage
    reward: RewardFacts | None = None
    eligibility: EligibilityResult | None = None
    # The reward the support agent asked for, if any: a proposal naming another needs a person.
    requested_reward_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardrailVerdict:
    """What may happen to the proposal.

    Attributes:
        outcome: accept, clamp, needs_approval or reject.
        points: The value that may proceed (the clamped value when clamped,
            the reward's price for a redemption); ``None`` on reject.
        requested_points: The value the proposal asked for, as drafted.
        reward_id: The reward of a redemption, else ``None``.
        reasons: Every reason, in check order (``within_policy`` alone on accept).
    """

    outcome: VerdictOutcome
    points: int | None
    requested_points: int | None
    reward_id: str | None
    reasons: tuple[Reason, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)

"""Activity names and payloads of the agent-assisted workflows.

Only pydantic models and the pure domain, so workflow modules can import it.
``GuardrailCase`` carries a proposal's typed guardrail facts back to the
workflow, which re-runs the pure guardrails on a support agent's edit inside
the update validator (deterministic: the domain does no I/O).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from typing import Literal

from pydantic import Field

from loyalty.activities.contracts import Payload
from loyalty.domain.guardrail_types import (
    BudgetUsage,
    CasePurpose,
    CreditHistory,
    GuardrailInput,
    MemberFacts,
    ProposalCandidate,
    RetrievedRef,
)
from loyalty.domain.program import ProgramParameters
from loyalty.domain.tiers import MemberStatus, Tier
from loyalty.workflows.assisted_contracts import (
    Citation,
    ProposalView,
    Purpose,
    VerdictView,
)

PROPOSE_REWARD = "ProposeReward"
RECORD_DECISION = "RecordDecision"
GRANT_GOODWILL_CREDIT = "GrantGoodwillCredit"
INGEST_POLICIES = "IngestPolicies"

_TIERED = (
    "goodwill_max_points",
    "retention_offer_max_points",
    "approval_threshold_points",
    "max_points_per_redemption",
)


class ProposeReward(Payload):
    """Draft, check and log one proposal; ``decision_id`` is the workflow id."""

    decision_id: str
    member_id: str
    purpose: Purpose
    reason: str
    severity: Literal["minor", "moderate", "major"] | None = None
    reward_id: str | None = None
    requested_by: str


class MemberFactsPayload(Payload):
    member_id: str
    tier: str
    status: str
    segments: list[str]
    tenure_days: int
    available_points: int


class RetrievedRefPayload(Payload):
    chunk_id: str
    policy_id: str
    version: int


class ParametersPayload(Payload):
    """Every field of ``ProgramParameters``; tiered ones keyed by tier name."""

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

    @classmethod
    def from_parameters(cls, params: ProgramParameters) -> ParametersPayload:
        values = {f.name: getattr(params, f.name) for f in fields(ProgramParameters)}
        for name in _TIERED:
            values[name] = {tier.value: points for tier, points in values[name].items()}
        values["policy_versions"] = dict(params.policy_versions)
        return cls(**values)

    def to_parameters(self) -> ProgramParameters:
        values = self.model_dump()
        for name in _TIERED:
            values[name] = {Tier(tier): points for tier, points in values[name].items()}
        return ProgramParameters(**values)


class GuardrailCase(Payload):
    """The typed facts a points-credit proposal was checked against (no reward facts)."""

    purpose: Purpose
    member: MemberFactsPayload
    retrieved: list[RetrievedRefPayload]
    parameters: ParametersPayload
    goodwill_credits_30d: int
    retention_offers_90d: int
    goodwill_points_today: int
    retention_points_today: int

    @classmethod
    def from_input(cls, data: GuardrailInput) -> GuardrailCase:
        member = data.member
        return cls(
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
            parameters=ParametersPayload.from_parameters(data.parameters),
            goodwill_credits_30d=data.history.goodwill_credits_30d,
            retention_offers_90d=data.history.retention_offers_90d,
            goodwill_points_today=data.budget.goodwill_points_today,
            retention_points_today=data.budget.retention_points_today,
        )

    def to_input(self, proposal: ProposalCandidate) -> GuardrailInput:
        """The guardrail input for ``proposal`` against these facts."""
        member = self.member
        return GuardrailInput(
            purpose=CasePurpose(self.purpose),
            proposal=proposal,
            member=MemberFacts(
                member_id=member.member_id,
                tier=Tier(member.tier),
                status=MemberStatus(member.status),
                segments=frozenset(member.segments),
                tenure_days=member.tenure_days,
                available_points=member.available_points,
            ),
            retrieved=tuple(
                RetrievedRef(chunk_id=r.chunk_id, policy_id=r.policy_id, version=r.version)
                for r in self.retrieved
            ),
            parameters=self.parameters.to_parameters(),
            history=CreditHistory(
                goodwill_credits_30d=self.goodwill_credits_30d,
                retention_offers_90d=self.retention_offers_90d,
            ),
            budget=BudgetUsage(
                goodwill_points_today=self.goodwill_points_today,
                retention_points_today=self.retention_points_today,
            ),
        )


class ProposalOutcome(Payload):
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


class RecordDecision(Payload):
    decision_id: str
    outcome: Literal["approved", "rejected", "expired"]
    approver: str
    reason: str = ""
    points: int | None = Field(default=None, gt=0)


class DecisionRecorded(Payload):
    row_id: int
    outcome: str
    approver: str
    points: int | None


class GrantGoodwillCredit(Payload):
    """A discretionary points credit; ``idempotency_key`` is ``<workflow_id>:credit``."""

    decision_id: str
    member_id: str
    purpose: Literal["goodwill", "retention"]
    points: int = Field(gt=0)
    expires_at: dt.datetime
    approver: str
    idempotency_key: str


class CreditGranted(Payload):
    entry_id: int
    available_after: int
    replayed: bool


class IngestPolicies(Payload):
    path: str | None = None

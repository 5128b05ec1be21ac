"""The program's discretionary-points numbers, as the guardrails enforce them.

``ProgramParameters`` is built from the front matter of the policies currently
in force (see ``loyalty.policies.parameters``), so the numbers a policy states
and the numbers the guardrails enforce cannot drift apart. It is the only
source of limits for :mod:`loyalty.domain.guardrails`: text written by members
or found in documents never reaches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from loyalty.domain.points import require_non_negative_points, require_positive_points
from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError

TierPoints = Mapping[Tier, int]
# The fields of ProgramParameters that hold one value per tier.
TIERED_PARAMETERS = (
    "goodwill_max_points",
    "retention_offer_max_points",
    "approval_threshold_points",
    "max_points_per_redemption",
)


def require_every_tier(values: TierPoints, *, name: str) -> None:
    missing = [tier.value for tier in Tier if tier not in values]
    if missing:
        raise ValidationError(f"{name} has no value for tier(s) {', '.join(missing)}")
    for tier, points in values.items():
        require_positive_points(points, name=f"{name}[{tier.value}]")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgramParameters:
    """Every number the proposal guardrails enforce.

    Attributes:
        goodwill_max_points: Largest goodwill credit per incident, by tier.
        goodwill_max_per_member_30d: Goodwill credits a member may receive in
            any rolling 30 days.
        goodwill_daily_budget_points: Program-wide goodwill points per UTC day.
        retention_offer_max_points: Largest retention offer, by tier.
        retention_offer_max_per_member_90d: Retention offers per member per 90 days.
        retention_min_tenure_days: Minimum membership age for a retention offer.
        retention_daily_budget_points: Program-wide retention points per UTC day.
        approval_threshold_points: A discretionary credit strictly above this
            value, for the member's tier, waits for a person.
        max_points_per_redemption: Largest single redemption, by tier.
        min_points_per_redemption: Smallest single redemption.
        min_policy_citations: Citations every proposal must carry.
        policy_versions: The version in force of every policy id, so a
            citation of any other version is recognised as stale.
        clamp_limit_percent: Guardrail configuration, not policy: a credit up
            to this percentage of its cap is clamped to the cap; anything
            larger is treated as implausible and rejected, because a proposer
            that asks for many times the cap is malfunctioning or manipulated.
    """

    goodwill_max_points: TierPoints
    goodwill_max_per_member_30d: int
    goodwill_daily_budget_points: int
    retention_offer_max_points: TierPoints
    retention_offer_max_per_member_90d: int
    retention_min_tenure_days: int
    retention_daily_budget_points: int
    approval_threshold_points: TierPoints
    max_points_per_redemption: TierPoints
    min_points_per_redemption: int
    min_policy_citations: int
    policy_versions: Mapping[str, int] = field(default_factory=dict)
    clamp_limit_percent: int = 200

    def __post_init__(self) -> None:
        for name in TIERED_PARAMETERS:
            require_every_tier(getattr(self, name), name=name)
        for name in (
            "goodwill_max_per_member_30d",
            "goodwill_daily_budget_points",
            "retention_offer_max_per_member_90d",
            "retention_min_tenure_days",
            "retention_daily_budget_points",
            "min_points_per_redemption",
            "min_policy_citations",
        ):
            require_non_negative_points(getattr(self, name), name=name)
        if self.clamp_limit_percent < 100:
            raise ValidationError("clamp_limit_percent must be at least 100")

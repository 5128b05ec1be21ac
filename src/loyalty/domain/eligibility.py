"""May this member redeem this reward, in this quantity, right now?

Every rule is checked independently and every failure is reported, so a
refusal explains itself completely. Configuration (the per-day and per-month
redemption limits) arrives inside the input object: this module holds no
business numbers of its own.

Rules (each failure has a stable code):

* ``member_frozen``: the account is frozen (POL-SECURITY-001: it earns but
  cannot redeem).
* ``member_not_active``: the member's status is otherwise not ``active``.
* ``tier_too_low``: the member's tier is below the reward's minimum tier.
* ``reward_inactive``: the reward is switched off.
* ``out_of_stock``: the reward has limited inventory and the requested
  quantity exceeds it (quantity == inventory is allowed).
* ``daily_limit_reached`` / ``monthly_limit_reached``: this redemption
  would exceed the member's redemption-count limit. Counts are redemptions,
  not units: a redemption of 3 units counts once.
* ``region_not_allowed``: the reward is restricted to a set of regions and
  the member's region is not in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from loyalty.domain.points import require_non_negative_points, require_positive_points
from loyalty.domain.reasons import Reason
from loyalty.domain.tiers import MemberStatus, Tier
from loyalty.errors import ValidationError


class EligibilityCode(StrEnum):
    """Stable machine codes for eligibility failures."""

    MEMBER_FROZEN = "member_frozen"
    MEMBER_NOT_ACTIVE = "member_not_active"
    TIER_TOO_LOW = "tier_too_low"
    REWARD_INACTIVE = "reward_inactive"
    OUT_OF_STOCK = "out_of_stock"
    DAILY_LIMIT_REACHED = "daily_limit_reached"
    MONTHLY_LIMIT_REACHED = "monthly_limit_reached"
    REGION_NOT_ALLOWED = "region_not_allowed"


def normalize_region(region: str) -> str:
    """Canonical form of a region code, so ``" us"`` and ``"US"`` match."""
    return region.strip().upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberProfile:
    """What eligibility needs to know about the member."""

    member_id: str
    tier: Tier
    status: MemberStatus
    region: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardTerms:
    """What eligibility needs to know about the reward.

    Attributes:
        inventory: Units left; ``None`` means unlimited.
        allowed_regions: Regions where the reward may be redeemed; ``None``
            means everywhere. An empty set means nowhere (a reward withdrawn
            from every region), not "unrestricted".
    """

    reward_id: str
    active: bool
    minimum_tier: Tier
    inventory: int | None
    allowed_regions: frozenset[str] | None

    def __post_init__(self) -> None:
        if self.inventory is not None:
            require_non_negative_points(self.inventory, name="inventory")


@dataclass(frozen=True, slots=True, kw_only=True)
class RedemptionUsage:
    """The member's redemptions already made, not counting this one."""

    today: int
    this_month: int

    def __post_init__(self) -> None:
        require_non_negative_points(self.today, name="usage.today")
        require_non_negative_points(self.this_month, name="usage.this_month")
        if self.today > self.this_month:
            # Today is part of this month; a larger daily count means the caller
            # queried different windows or members.
            raise ValidationError("usage.today cannot exceed usage.this_month")


@dataclass(frozen=True, slots=True, kw_only=True)
class RedemptionLimits:
    """Maximum number of redemptions per member (inclusive); ``None``: no such limit."""

    per_day: int
    per_month: int | None = None

    def __post_init__(self) -> None:
        require_non_negative_points(self.per_day, name="limits.per_day")
        if self.per_month is not None:
            require_non_negative_points(self.per_month, name="limits.per_month")


@dataclass(frozen=True, slots=True, kw_only=True)
class EligibilityInput:
    """Everything :func:`check_eligibility` looks at."""

    member: MemberProfile
    reward: RewardTerms
    quantity: int
    usage: RedemptionUsage
    limits: RedemptionLimits

    def __post_init__(self) -> None:
        # A quantity of 0 can never succeed: that is bad input, not a refusal.
        require_positive_points(self.quantity, name="quantity")


@dataclass(frozen=True, slots=True, kw_only=True)
class EligibilityResult:
    """Verdict plus every failed rule; ``eligible`` iff ``reasons`` is empty."""

    eligible: bool
    reasons: tuple[Reason, ...]

    def __post_init__(self) -> None:
        if self.eligible == bool(self.reasons):
            raise ValidationError("eligible must be True exactly when there are no reasons")

    @property
    def codes(self) -> tuple[str, ...]:
        """The machine codes of the failed rules, in check order."""
        return tuple(reason.code for reason in self.reasons)


def check_eligibility(data: EligibilityInput) -> EligibilityResult:
    """Check every eligibility rule and report all failures.

    Args:
        data: Member, reward, requested quantity, usage so far and limits.

    Returns:
        ``eligible=True`` with no reasons, or ``eligible=False`` with one
        reason per failed rule, in a fixed order.
    """
    checks = (
        _check_status(data),
        _check_tier(data),
        _check_active(data),
        _check_stock(data),
        _check_daily_limit(data),
        _check_monthly_limit(data),
        _check_region(data),
    )
    reasons = tuple(reason for reason in checks if reason is not None)
    return EligibilityResult(eligible=not reasons, reasons=reasons)


def _check_status(data: EligibilityInput) -> Reason | None:
    status = data.member.status
    if status is MemberStatus.ACTIVE:
        return None
    if status is MemberStatus.FROZEN:
        return Reason(
            code=EligibilityCode.MEMBER_FROZEN,
            message="Member account is frozen (POL-SECURITY-001): it keeps earning points "
            "but cannot redeem until support unfreezes it.",
        )
    return Reason(
        code=EligibilityCode.MEMBER_NOT_ACTIVE,
        message=f"Member account is {status.value}; only active members can redeem.",
    )


def _check_tier(data: EligibilityInput) -> Reason | None:
    tier, minimum = data.member.tier, data.reward.minimum_tier
    if tier.at_least(minimum):
        return None
    return Reason(
        code=EligibilityCode.TIER_TOO_LOW,
        message=f"Reward requires tier {minimum.value} or higher; member is {tier.value}.",
    )


def _check_active(data: EligibilityInput) -> Reason | None:
    if data.reward.active:
        return None
    return Reason(
        code=EligibilityCode.REWARD_INACTIVE,
        message=f"Reward {data.reward.reward_id} is not currently available.",
    )


def _check_stock(data: EligibilityInput) -> Reason | None:
    inventory = data.reward.inventory
    if inventory is None or data.quantity <= inventory:
        return None
    return Reason(
        code=EligibilityCode.OUT_OF_STOCK,
        message=f"Requested {data.quantity} but only {inventory} in stock.",
    )


def _check_daily_limit(data: EligibilityInput) -> Reason | None:
    # "+ 1" is this redemption: it must still fit within the limit.
    limit = data.limits.per_day
    if data.usage.today + 1 <= limit:
        return None
    return Reason(
        code=EligibilityCode.DAILY_LIMIT_REACHED,
        message=f"Daily limit of {limit} redemptions reached ({data.usage.today} today).",
    )


def _check_monthly_limit(data: EligibilityInput) -> Reason | None:
    limit = data.limits.per_month
    if limit is None or data.usage.this_month + 1 <= limit:
        return None
    return Reason(
        code=EligibilityCode.MONTHLY_LIMIT_REACHED,
        message=(
            f"Monthly limit of {limit} redemptions reached ({data.usage.this_month} this month)."
        ),
    )


def _check_region(data: EligibilityInput) -> Reason | None:
    allowed = data.reward.allowed_regions
    if allowed is None:
        return None
    region = normalize_region(data.member.region)
    if region in {normalize_region(item) for item in allowed}:
        return None
    listed = ", ".join(sorted(normalize_region(item) for item in allowed)) or "none"
    return Reason(
        code=EligibilityCode.REGION_NOT_ALLOWED,
        message=f"Reward is not available in region {region} (allowed: {listed}).",
    )

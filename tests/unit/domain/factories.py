"""Factories for domain test data: a valid, unremarkable object plus overrides.

Each factory's defaults describe a "clean" case (eligible member, a redemption
that fires no fraud signal, a price with no discounts) so a test changes only
the fields it is about. Imported as ``tests.unit.domain.factories`` (pytest
runs with ``--import-mode=importlib`` and the project root on ``pythonpath``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from loyalty.domain.eligibility import (
    EligibilityInput,
    MemberProfile,
    RedemptionLimits,
    RedemptionUsage,
    RewardTerms,
)
from loyalty.domain.fraud import FraudInput, FraudThresholds
from loyalty.domain.pricing import PricingInput
from loyalty.domain.promotions import Promotion, PromotionKind, PromotionScope
from loyalty.domain.tiers import MemberStatus, Tier
from loyalty.policies.book import PolicyBook
from tests.support.policies import POLICIES

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def make_member(**overrides: Any) -> MemberProfile:
    fields: dict[str, Any] = {
        "member_id": "m-1",
        "tier": Tier.GOLD,
        "status": MemberStatus.ACTIVE,
        "region": "US",
    }
    return MemberProfile(**(fields | overrides))


def make_reward(**overrides: Any) -> RewardTerms:
    fields: dict[str, Any] = {
        "reward_id": "r-1",
        "active": True,
        "minimum_tier": Tier.SILVER,
        "inventory": 10,
        "allowed_regions": None,
    }
    return RewardTerms(**(fields | overrides))


def make_eligibility_input(
    *,
    member: MemberProfile | None = None,
    reward: RewardTerms | None = None,
    quantity: int = 1,
    today: int = 0,
    this_month: int = 0,
    per_day: int = 3,
    per_month: int = 10,
) -> EligibilityInput:
    return EligibilityInput(
        member=member or make_member(),
        reward=reward or make_reward(),
        quantity=quantity,
        usage=RedemptionUsage(today=today, this_month=this_month),
        limits=RedemptionLimits(per_day=per_day, per_month=per_month),
    )


def make_thresholds(**overrides: Any) -> FraudThresholds:
    """Thresholds shaped like production ones; weights chosen so sums are easy."""
    fields: dict[str, Any] = {
        "velocity_hour_count": 3,
        "velocity_hour_weight": 30,
        "velocity_day_count": 10,
        "velocity_day_weight": 20,
        "value_vs_average_percent": 300,
        "value_vs_average_weight": 25,
        "value_vs_max_percent": 150,
        "value_vs_max_weight": 25,
        "new_channel_weight": 10,
        "new_device_weight": 15,
        "new_account_max_age_days": 7,
        "new_account_weight": 20,
        "balance_share_percent": 80,
        "balance_share_weight": 20,
        "review_score": 40,
        "deny_score": 70,
    }
    return FraudThresholds(**(fields | overrides))


def make_fraud_input(**overrides: Any) -> FraudInput:
    """A redemption that fires nothing under :func:`make_thresholds`.

    100 points = 100 % of the average (1000 / 10), 50 % of the max (200),
    1 % of the balance; known channel and device; a year-old account.
    """
    fields: dict[str, Any] = {
        "points": 100,
        "available_balance": 10_000,
        "redemptions_last_hour": 0,
        "redemptions_last_day": 0,
        "history_count": 10,
        "history_total_points": 1_000,
        "history_max_points": 200,
        "channel": "app",
        "known_channels": frozenset({"app", "web"}),
        "device_id": "device-1",
        "known_devices": frozenset({"device-1"}),
        "account_age_days": 365,
    }
    return FraudInput(**(fields | overrides))


STACKING = PolicyBook(POLICIES).stacking_rules()


def make_promotion(
    promotion_id: str,
    value: int | str,
    *,
    kind: PromotionKind = PromotionKind.REDEEM_DISCOUNT_PERCENT,
    campaign: str | None = None,
    version: int = 1,
    scope: PromotionScope | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    promo_code: str | None = None,
) -> Promotion:
    return Promotion(
        promotion_id=promotion_id,
        version=version,
        campaign=campaign or f"campaign-{promotion_id}",
        kind=kind,
        value=Decimal(value),
        scope=scope or PromotionScope(),
        starts_at=starts_at or NOW - timedelta(days=1),
        ends_at=ends_at or NOW + timedelta(days=1),
        promo_code=promo_code,
    )


def percent_off(promotion_id: str, value: int, *, campaign: str | None = None) -> Promotion:
    return make_promotion(promotion_id, value, campaign=campaign)


def make_pricing_input(
    *,
    unit_cost: int = 1_000,
    quantity: int = 1,
    tier: Tier = Tier.BRONZE,
    tier_discount_percent: dict[Tier, int] | None = None,
    promotions: tuple[Promotion, ...] = (),
    priced_at: datetime = NOW,
    promo_code: str | None = None,
) -> PricingInput:
    return PricingInput(
        reward_id="r-1",
        unit_cost=unit_cost,
        quantity=quantity,
        tier=tier,
        tier_discount_percent=tier_discount_percent or {},
        promotions=promotions,
        priced_at=priced_at,
        stacking=STACKING,
        promo_code=promo_code,
    )

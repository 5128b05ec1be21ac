"""The redemption decision's numbers, read from the policies in force.

POL-REDEMPTION-001 gives the limits (a count per day, points per redemption,
day and month), POL-TIER-001 the tier discounts, and POL-FRAUD-001 what goes
to a person regardless of score and how long that person has. Only the fraud
score's signal weights stay in settings: they tune the engine's scoring, a
detail no policy states. Reading the numbers from the policy folder at every
decision means a new policy version applies without a restart, and policy and
engine cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from loyalty.domain.eligibility import RedemptionLimits
from loyalty.domain.fraud import FraudThresholds
from loyalty.domain.limits import PointLimits, ReviewTriggers
from loyalty.domain.redemption import RedemptionRules
from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError
from loyalty.policies.book import REDEMPTION_POLICY, TIER_POLICY, PolicyBook, stacking_rules
from loyalty.policies.corpus import PolicyDocument
from loyalty.policies.parameters import parameter, tier_points

FRAUD_POLICY = "POL-FRAUD-001"


class RedemptionRulebook:
    """The rules in force for a redemption decided now; shared by the worker and the API.

    Args:
        book: The policy folder.
        fraud_weights: Every ``FraudThresholds`` field but ``new_account_max_age_days``
            (which POL-FRAUD-001 sets), from settings.
    """

    def __init__(self, book: PolicyBook, *, fraud_weights: Mapping[str, int]) -> None:
        self._book = book
        self._weights = dict(fraud_weights)

    def rules(self, *, today: dt.date | None = None) -> RedemptionRules:
        """The rules on ``today`` (UTC today by default).

        Raises:
            ValidationError: A policy or one of its numbers is missing or malformed:
                a decision without its limit must fail, never guess.
        """
        return redemption_rules(self._book.in_force(today=today), fraud_weights=self._weights)


def redemption_rules(
    current: Mapping[str, PolicyDocument], *, fraud_weights: Mapping[str, int]
) -> RedemptionRules:
    """Build the decision's rules from the versions in force; see the module docstring."""

    def number(policy_id: str, key: str) -> int:
        value = parameter(current, policy_id, key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValidationError(f"{policy_id} {key} must be a positive whole number")
        return value

    def by_tier(policy_id: str, key: str) -> dict[Tier, int]:
        return dict(tier_points(parameter(current, policy_id, key), name=key))

    new_account_days = number(FRAUD_POLICY, "new_account_days")
    return RedemptionRules(
        limits=RedemptionLimits(per_day=number(REDEMPTION_POLICY, "max_redemptions_per_day")),
        # "opened less than N days ago": the signal fires up to N - 1 days (inclusive)
        fraud=FraudThresholds(**fraud_weights, new_account_max_age_days=new_account_days - 1),
        tier_discount_percent=by_tier(TIER_POLICY, "tier_discount_percent"),
        points=PointLimits(
            min_points=number(REDEMPTION_POLICY, "min_points_per_redemption"),
            increment_points=number(REDEMPTION_POLICY, "redemption_increment_points"),
            max_points=by_tier(REDEMPTION_POLICY, "max_points_per_redemption"),
            daily_points=by_tier(REDEMPTION_POLICY, "daily_redemption_limit"),
            monthly_points=by_tier(REDEMPTION_POLICY, "monthly_redemption_limit"),
        ),
        review=ReviewTriggers(
            above_points=number(FRAUD_POLICY, "fraud_review_points_threshold"),
            new_account_days=new_account_days,
            new_account_above_points=number(FRAUD_POLICY, "new_account_review_points"),
            max_in_24h=number(FRAUD_POLICY, "velocity_max_redemptions_24h"),
        ),
        review_timeout_s=number(FRAUD_POLICY, "fraud_review_timeout_hours") * 3600.0,
        stacking=stacking_rules(current),
    )

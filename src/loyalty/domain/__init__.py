"""Pure loyalty rules: points math, eligibility, fraud scoring, offer pricing.

Nothing here does I/O or imports SQLAlchemy, Temporal or FastAPI; every rule
takes one frozen input object and returns one frozen result, so activities
can call it and tests can exercise it without any infrastructure. Business
numbers (limits, thresholds, weights, discounts) always arrive in the input:
this package holds rules, configuration holds numbers.
"""

from loyalty.domain.eligibility import (
    EligibilityCode,
    EligibilityInput,
    EligibilityResult,
    MemberProfile,
    RedemptionLimits,
    RedemptionUsage,
    RewardTerms,
    check_eligibility,
)
from loyalty.domain.fraud import (
    FraudAssessment,
    FraudInput,
    FraudReason,
    FraudSignal,
    FraudThresholds,
    FraudVerdict,
    assess_fraud,
)
from loyalty.domain.pricing import (
    PriceLine,
    PriceLineKind,
    PriceQuote,
    PricingInput,
    price_offer,
)
from loyalty.domain.promotions import Promotion, PromotionKind
from loyalty.domain.reasons import Reason
from loyalty.domain.tiers import MemberStatus, Tier

__all__ = [
    "EligibilityCode",
    "EligibilityInput",
    "EligibilityResult",
    "FraudAssessment",
    "FraudInput",
    "FraudReason",
    "FraudSignal",
    "FraudThresholds",
    "FraudVerdict",
    "MemberProfile",
    "MemberStatus",
    "PriceLine",
    "PriceLineKind",
    "PriceQuote",
    "PricingInput",
    "Promotion",
    "PromotionKind",
    "Reason",
    "RedemptionLimits",
    "RedemptionUsage",
    "RewardTerms",
    "Tier",
    "assess_fraud",
    "check_eligibility",
    "price_offer",
]

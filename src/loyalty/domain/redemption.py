"""The redemption decision: from one set of facts, proceed, wait for a fraud review, or refuse.

The saga (through its ``DecideRedemption`` activity) and the API's dry run
both call :func:`decide_redemption`, so what a member is told in advance and
what the saga then does can never disagree. The checks run in this order, and
the first that refuses ends the decision:

1. eligibility (every failed rule is reported);
2. fraud: ``deny`` refuses;
3. price, then the redemption limits in points (``loyalty.domain.limits``),
   then the balance must cover it;
4. fraud ``review``, or a size or pace the fraud policy sends to review,
   asks a person before anything is reserved.

A review comes last on purpose: a member who cannot pay is told so at once
instead of waiting for a reviewer who could only say yes to a refusal.

A member's catalog asks a different question of the same pieces:
:func:`offer_of` prices a reward exactly as the decision does and lists
*every* reason it cannot be redeemed now (eligibility, limits, balance),
where the decision stops at the first refusal. It judges no fraud: that
depends on a request's channel and device, and a customer never sees it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from loyalty.domain.eligibility import (
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
    FraudThresholds,
    FraudVerdict,
    assess_fraud,
)
from loyalty.domain.limits import (
    PointLimits,
    ReviewTriggers,
    Spend,
    limit_reasons,
    review_reasons,
)
from loyalty.domain.pricing import PriceQuote, PricingInput, price_offer
from loyalty.domain.promotions import Promotion, StackingRules
from loyalty.domain.reasons import Reason
from loyalty.domain.tiers import Tier


@dataclass(frozen=True, slots=True, kw_only=True)
class RedemptionHistory:
    """The member's other redemptions, as eligibility, fraud and the limits count them.

    ``spent_today`` and ``spent_this_month`` are points (net of releases and
    refunds); the other counts are redemptions.
    """

    today: int
    this_month: int
    last_hour: int
    last_day: int
    completed_count: int
    completed_points: int
    completed_max_points: int
    known_channels: frozenset[str]
    known_devices: frozenset[str]
    spent_today: int
    spent_this_month: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RedemptionFacts:
    """Everything the decision looks at, read at one moment.

    Attributes:
        available: Spendable points now (expired points never count).
        held: Points reserved by redemptions in flight.
        history: The member's other redemptions (never this one).
        category: The reward's category (promotions may be scoped by it).
        promotions: The promotion versions live when the facts were read.
        promo_code: The code the member entered with this request, if any.
    """

    member: MemberProfile
    joined_on: dt.date
    reward: RewardTerms
    unit_cost: int
    quantity: int
    channel: str
    device_id: str | None
    available: int
    held: int
    history: RedemptionHistory
    category: str | None = None
    promotions: tuple[Promotion, ...] = ()
    promo_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RedemptionRules:
    """The numbers the decision applies: from the policies in force, fraud weights from settings.

    Attributes:
        limits: Redemptions per day (a count).
        points: The limits in points of POL-REDEMPTION-001.
        review: What POL-FRAUD-001 sends to a person whatever the score.
        review_timeout_s: How long a fraud review may wait (POL-FRAUD-001).
        stacking: How promotions combine (POL-PROMO-001).
    """

    limits: RedemptionLimits
    fraud: FraudThresholds
    tier_discount_percent: Mapping[Tier, int]
    points: PointLimits
    review: ReviewTriggers
    review_timeout_s: float
    stacking: StackingRules


class Outcome(StrEnum):
    PROCEED = "proceed"
    REVIEW = "review"
    REJECT = "reject"


@dataclass(frozen=True, slots=True, kw_only=True)
class RedemptionDecision:
    """What to do, why, and every check that ran (``None``: it did not run).

    Attributes:
        reasons: Why it is refused or reviewed; empty when it proceeds.
        fraud: ``None`` when eligibility already refused.
        price: ``None`` when the fraud check already refused.
    """

    outcome: Outcome
    reasons: tuple[str, ...]
    facts: RedemptionFacts
    eligibility: EligibilityResult
    fraud: FraudAssessment | None
    price: PriceQuote | None

    @property
    def sufficient_points(self) -> bool | None:
        """Whether the balance covers the price; ``None`` before pricing."""
        return None if self.price is None else self.facts.available >= self.price.total


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    """A reward as one member would pay for it now, and why they cannot yet.

    Attributes:
        price: What the saga would charge: the same :func:`price_of` it uses.
        reasons: Eligibility, then limits, then balance; empty when redeemable
            (a fraud review may still ask a person first).
    """

    facts: RedemptionFacts
    price: PriceQuote
    reasons: tuple[Reason, ...]

    @property
    def redeemable(self) -> bool:
        return not self.reasons


def offer_of(facts: RedemptionFacts, rules: RedemptionRules, *, now: dt.datetime) -> Offer:
    """Price a reward for a member and collect every reason that would refuse it."""
    price = price_of(facts, rules, now=now)
    reasons = (
        *eligibility_of(facts, rules).reasons,
        *limit_reasons(_spend(facts, price), rules.points),
        *_shortfall(facts, price),
    )
    return Offer(facts=facts, price=price, reasons=reasons)


def decide_redemption(
    facts: RedemptionFacts, rules: RedemptionRules, *, now: dt.datetime
) -> RedemptionDecision:
    """Decide one redemption from its facts; see the module docstring for the order."""
    eligibility = eligibility_of(facts, rules)
    if not eligibility.eligible:
        reasons = tuple(reason.message for reason in eligibility.reasons)
        return _decision(Outcome.REJECT, reasons, facts, eligibility)
    fraud = fraud_of(facts, rules, now=now)
    fraud_reasons = tuple(reason.message for reason in fraud.reasons)
    if fraud.verdict is FraudVerdict.DENY:
        reasons = ("fraud check denied the redemption", *fraud_reasons)
        return _decision(Outcome.REJECT, reasons, facts, eligibility, fraud)
    price = price_of(facts, rules, now=now)
    broken = limit_reasons(_spend(facts, price), rules.points)
    if broken:
        reasons = tuple(reason.message for reason in broken)
        return _decision(Outcome.REJECT, reasons, facts, eligibility, fraud, price)
    short = _shortfall(facts, price)
    if short:
        reasons = tuple(reason.message for reason in short)
        return _decision(Outcome.REJECT, reasons, facts, eligibility, fraud, price)
    triggered = review_reasons(
        facts.unit_cost * facts.quantity,
        account_age_days=_account_age_days(facts, now),
        in_last_24h=facts.history.last_day,
        triggers=rules.review,
    )
    if fraud.verdict is FraudVerdict.REVIEW or triggered:
        reasons = (*fraud_reasons, *triggered)
        return _decision(Outcome.REVIEW, reasons, facts, eligibility, fraud, price)
    return _decision(Outcome.PROCEED, (), facts, eligibility, fraud, price)


def eligibility_of(facts: RedemptionFacts, rules: RedemptionRules) -> EligibilityResult:
    history = facts.history
    return check_eligibility(
        EligibilityInput(
            member=facts.member,
            reward=facts.reward,
            quantity=facts.quantity,
            usage=RedemptionUsage(today=history.today, this_month=history.this_month),
            limits=rules.limits,
        )
    )


def fraud_of(
    facts: RedemptionFacts, rules: RedemptionRules, *, now: dt.datetime
) -> FraudAssessment:
    """Fraud is judged on the list price: the signals compare value, not discounts."""
    history = facts.history
    return assess_fraud(
        FraudInput(
            points=facts.unit_cost * facts.quantity,
            available_balance=facts.available,
            redemptions_last_hour=history.last_hour,
            redemptions_last_day=history.last_day,
            history_count=history.completed_count,
            history_total_points=history.completed_points,
            history_max_points=history.completed_max_points,
            channel=facts.channel,
            known_channels=history.known_channels,
            device_id=facts.device_id,
            known_devices=history.known_devices,
            account_age_days=_account_age_days(facts, now),
        ),
        rules.fraud,
    )


def price_of(facts: RedemptionFacts, rules: RedemptionRules, *, now: dt.datetime) -> PriceQuote:
    return price_offer(
        PricingInput(
            reward_id=facts.reward.reward_id,
            unit_cost=facts.unit_cost,
            quantity=facts.quantity,
            tier=facts.member.tier,
            tier_discount_percent=rules.tier_discount_percent,
            promotions=facts.promotions,
            priced_at=now,
            stacking=rules.stacking,
            category=facts.category,
            promo_code=facts.promo_code,
        )
    )


def _spend(facts: RedemptionFacts, price: PriceQuote) -> Spend:
    return Spend(
        tier=facts.member.tier,
        size=facts.unit_cost * facts.quantity,
        price=price.total,
        spent_today=facts.history.spent_today,
        spent_this_month=facts.history.spent_this_month,
    )


def _shortfall(facts: RedemptionFacts, price: PriceQuote) -> tuple[Reason, ...]:
    if facts.available >= price.total:
        return ()
    message = f"insufficient points: {facts.available} available, {price.total} required"
    return (Reason(code="insufficient_points", message=message),)


def _account_age_days(facts: RedemptionFacts, now: dt.datetime) -> int:
    return (now.date() - facts.joined_on).days


def _decision(
    outcome: Outcome,
    reasons: tuple[str, ...],
    facts: RedemptionFacts,
    eligibility: EligibilityResult,
    fraud: FraudAssessment | None = None,
    price: PriceQuote | None = None,
) -> RedemptionDecision:
    return RedemptionDecision(
        outcome=outcome,
        reasons=reasons,
        facts=facts,
        eligibility=eligibility,
        fraud=fraud,
        price=price,
    )

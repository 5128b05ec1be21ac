"""Read-only saga steps: balance, eligibility, fraud and price, over ledger data and domain rules.

The API's dry-run ``validate`` calls these same methods, so a dry run and the
saga can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from loyalty import domain
from loyalty.activities.errors import business_errors
from loyalty.config import Settings
from loyalty.contracts.redemption import (
    ASSESS_FRAUD,
    CHECK_BALANCE,
    CHECK_ELIGIBILITY,
    PRICE_OFFER,
    BalanceSnapshot,
    EligibilityVerdict,
    FraudVerdict,
    MemberRef,
    OfferPrice,
    PriceLine,
    RedemptionCheck,
)
from loyalty.ledger import catalog, redemptions
from loyalty.ledger.models import Member, Reward
from loyalty.ledger.repository import Clock, Ledger, utc_now


@dataclass(frozen=True)
class RedemptionRules:
    """The configured numbers the checks apply (built from settings by the worker)."""

    limits: domain.RedemptionLimits
    fraud: domain.FraudThresholds
    tier_discount_percent: Mapping[domain.Tier, int]
    promotions: tuple[domain.Promotion, ...] = ()


def redemption_rules(settings: Settings) -> RedemptionRules:
    """The rules' numbers from settings (the worker and the API's dry run share them)."""
    return RedemptionRules(
        limits=domain.RedemptionLimits(
            per_day=settings.daily_redemption_limit, per_month=settings.monthly_redemption_limit
        ),
        fraud=settings.fraud_thresholds(),
        tier_discount_percent={
            domain.Tier(tier): percent for tier, percent in settings.tier_discount_percent.items()
        },
    )


class RedemptionChecks:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ledger: Ledger,
        rules: RedemptionRules,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._ledger = ledger
        self._rules = rules
        self._clock = clock

    @activity.defn(name=CHECK_BALANCE)
    @business_errors
    def check_balance(self, ref: MemberRef) -> BalanceSnapshot:
        balance = self._ledger.balance(member_id=ref.member_id)
        with self._sessions() as session:
            member = catalog.get_member(session, member_id=ref.member_id)
        return BalanceSnapshot(
            member_id=ref.member_id,
            available=balance.available,
            held=balance.held,
            member_status=member.status,
        )

    @activity.defn(name=CHECK_ELIGIBILITY)
    @business_errors
    def check_eligibility(self, check: RedemptionCheck) -> EligibilityVerdict:
        with self._sessions() as session:
            member, reward = self._load(session, check)
            history = redemptions.member_history(
                session,
                member_id=check.member_id,
                now=self._clock(),
                exclude_id=check.redemption_id,
            )
        result = domain.check_eligibility(
            domain.EligibilityInput(
                member=catalog.member_profile(member),
                reward=catalog.reward_terms(reward),
                quantity=check.quantity,
                usage=domain.RedemptionUsage(today=history.today, this_month=history.this_month),
                limits=self._rules.limits,
            )
        )
        return EligibilityVerdict(
            eligible=result.eligible,
            reasons=[r.message for r in result.reasons],
            codes=[str(r.code) for r in result.reasons],
        )

    @activity.defn(name=ASSESS_FRAUD)
    @business_errors
    def assess_fraud(self, check: RedemptionCheck) -> FraudVerdict:
        now = self._clock()
        with self._sessions() as session:
            member, reward = self._load(session, check)
            history = redemptions.member_history(
                session, member_id=check.member_id, now=now, exclude_id=check.redemption_id
            )
        balance = self._ledger.balance(member_id=check.member_id, as_of=now)
        assessment = domain.assess_fraud(
            domain.FraudInput(
                points=reward.point_cost * check.quantity,  # list price: pricing comes later
                available_balance=balance.available,
                redemptions_last_hour=history.last_hour,
                redemptions_last_day=history.last_day,
                history_count=history.completed_count,
                history_total_points=history.completed_points,
                history_max_points=history.completed_max_points,
                channel=check.channel,
                known_channels=history.known_channels,
                device_id=check.device_id,
                known_devices=history.known_devices,
                account_age_days=(now.date() - member.joined_on).days,
            ),
            self._rules.fraud,
        )
        return FraudVerdict(
            verdict=str(assessment.verdict),
            score=assessment.score,
            reasons=[r.message for r in assessment.reasons],
        )

    @activity.defn(name=PRICE_OFFER)
    @business_errors
    def price_offer(self, check: RedemptionCheck) -> OfferPrice:
        with self._sessions() as session:
            member, reward = self._load(session, check)
        quote = domain.price_offer(
            domain.PricingInput(
                reward_id=reward.id,
                unit_cost=reward.point_cost,
                quantity=check.quantity,
                tier=domain.Tier(member.tier),
                tier_discount_percent=self._rules.tier_discount_percent,
                promotions=self._rules.promotions,
                priced_at=self._clock(),
            )
        )
        return OfferPrice(
            total=quote.total,
            lines=[
                PriceLine(
                    kind=str(line.kind),
                    source_id=line.source_id,
                    description=line.description,
                    points=line.points,
                )
                for line in quote.lines
            ],
            applied_promotion_ids=list(quote.applied_promotion_ids),
        )

    @staticmethod
    def _load(session: Session, check: RedemptionCheck) -> tuple[Member, Reward]:
        return (
            catalog.get_member(session, member_id=check.member_id),
            catalog.get_reward(session, reward_id=check.reward_id),
        )

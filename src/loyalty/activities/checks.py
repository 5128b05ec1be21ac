"""The saga's read-only step: read the facts once, let the domain decide, report every check.

``DecideRedemption`` is what the Redemption workflow calls. The four separate
checks below it serve only the runs started before the ``decide-redemption``
patch (a run replays the commands it started with); they read the same facts
and apply the same domain functions, so both kinds of run decide alike.
Remove them with the patch, once no such run is open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.contracts.redemption import (
    ASSESS_FRAUD,
    CHECK_BALANCE,
    CHECK_ELIGIBILITY,
    DECIDE_REDEMPTION,
    PRICE_OFFER,
    BalanceSnapshot,
    EligibilityVerdict,
    FraudVerdict,
    MemberRef,
    OfferPrice,
    PriceLine,
    PromoCodeClaim,
    RedemptionCheck,
    RedemptionDecision,
    RedemptionRequest,
    SpendCeiling,
)
from loyalty.domain.eligibility import EligibilityResult
from loyalty.domain.fraud import FraudAssessment
from loyalty.domain.pricing import PriceQuote
from loyalty.domain.promotions import StackingRules, normalize_code
from loyalty.domain.redemption import (
    RedemptionFacts,
    RedemptionRules,
    decide_redemption,
    eligibility_of,
    fraud_of,
    price_of,
)
from loyalty.ledger import catalog, promotions, reads
from loyalty.ledger.facts import read_redemption_facts
from loyalty.ledger.operation import utc_now
from loyalty.ledger.repository import Clock


class RedemptionChecks:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        rules: Callable[[], RedemptionRules],
        clock: Clock = utc_now,
    ) -> None:
        """``rules`` gives the rules in force, read at every decision (policy changes apply)."""
        self._sessions = sessions
        self._rules = rules
        self._clock = clock

    @activity.defn(name=DECIDE_REDEMPTION)
    @business_errors
    def decide_redemption(self, request: RedemptionRequest) -> RedemptionDecision:
        now = self._clock()
        facts = self._facts(request, redemption_id=activity.info().workflow_id or "", now=now)
        rules = self._rules()
        decision = decide_redemption(facts, rules, now=now)
        ceiling = rules.points.ceiling(facts.member.tier)
        outcome, reasons = decision.outcome.value, list(decision.reasons)
        claim = None
        if request.promo_code and outcome != "reject":
            claim, refusal = self._promo_code(request, facts, decision.price, rules.stacking)
            if refusal:
                outcome, reasons = "reject", [refusal]
        return RedemptionDecision(
            outcome=outcome,
            reasons=reasons,
            balance=_balance(facts),
            eligibility=_eligibility(decision.eligibility),
            fraud=_fraud(decision.fraud) if decision.fraud else None,
            price=_price(decision.price) if decision.price else None,
            ceiling=SpendCeiling(daily=ceiling.daily, monthly=ceiling.monthly),
            review_timeout_s=rules.review_timeout_s,
            promo_code=claim,
        )

    def _promo_code(
        self,
        request: RedemptionRequest,
        facts: RedemptionFacts,
        price: PriceQuote | None,
        stacking: StackingRules,
    ) -> tuple[PromoCodeClaim | None, str | None]:
        """The code's use to count at the hold, or why the code is refused.

        A code that names no live promotion for this reward, or one the member
        has used up, refuses the redemption rather than charge a price the
        member did not expect. The hold counts the use again under the account
        lock, so two concurrent redemptions cannot both pass.
        """
        assert request.promo_code is not None
        code = normalize_code(request.promo_code)
        applied = set(price.applied_promotion_ids) if price else set()
        coded = [
            p
            for p in facts.promotions
            if p.promo_code and normalize_code(p.promo_code) == code and p.ref in applied
        ]
        if not coded:
            return None, "promo_code: no live promotion applies with this code"
        with self._sessions() as session:
            used = promotions.code_uses(session, member_id=request.member_id, promo_code=code)
        allowed = stacking.promo_code_uses_per_member
        if used >= allowed:
            return None, f"promo_code: already used {used} time(s), {allowed} allowed"
        chosen = coded[0]
        return (
            PromoCodeClaim(
                code=code, promotion_id=chosen.promotion_id, version=chosen.version, allowed=allowed
            ),
            None,
        )

    # -- runs started before the decide-redemption patch -----------------------

    @activity.defn(name=CHECK_BALANCE)
    @business_errors
    def check_balance(self, ref: MemberRef) -> BalanceSnapshot:
        with self._sessions() as session:
            member = catalog.get_member(session, member_id=ref.member_id)
            balance = reads.get_balance(session, member_id=ref.member_id, as_of=self._clock())
        return BalanceSnapshot(
            member_id=ref.member_id,
            available=balance.available,
            held=balance.held,
            member_status=member.status,
        )

    @activity.defn(name=CHECK_ELIGIBILITY)
    @business_errors
    def check_eligibility(self, check: RedemptionCheck) -> EligibilityVerdict:
        return _eligibility(eligibility_of(self._legacy_facts(check), self._rules()))

    @activity.defn(name=ASSESS_FRAUD)
    @business_errors
    def assess_fraud(self, check: RedemptionCheck) -> FraudVerdict:
        return _fraud(fraud_of(self._legacy_facts(check), self._rules(), now=self._clock()))

    @activity.defn(name=PRICE_OFFER)
    @business_errors
    def price_offer(self, check: RedemptionCheck) -> OfferPrice:
        return _price(price_of(self._legacy_facts(check), self._rules(), now=self._clock()))

    def _legacy_facts(self, check: RedemptionCheck) -> RedemptionFacts:
        return self._facts(check, redemption_id=check.redemption_id, now=self._clock())

    def _facts(
        self, about: RedemptionRequest | RedemptionCheck, *, redemption_id: str, now: dt.datetime
    ) -> RedemptionFacts:
        with self._sessions() as session:
            return read_redemption_facts(
                session,
                member_id=about.member_id,
                reward_id=about.reward_id,
                quantity=about.quantity,
                channel=about.channel,
                device_id=about.device_id,
                now=now,
                exclude_id=redemption_id,
                promo_code=about.promo_code if isinstance(about, RedemptionRequest) else None,
            )


def _balance(facts: RedemptionFacts) -> BalanceSnapshot:
    return BalanceSnapshot(
        member_id=facts.member.member_id,
        available=facts.available,
        held=facts.held,
        member_status=facts.member.status.value,
    )


def _eligibility(result: EligibilityResult) -> EligibilityVerdict:
    return EligibilityVerdict(
        eligible=result.eligible,
        reasons=[r.message for r in result.reasons],
        codes=[str(r.code) for r in result.reasons],
    )


def _fraud(assessment: FraudAssessment) -> FraudVerdict:
    return FraudVerdict(
        verdict=str(assessment.verdict),
        score=assessment.score,
        reasons=[r.message for r in assessment.reasons],
    )


def _price(quote: PriceQuote) -> OfferPrice:
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

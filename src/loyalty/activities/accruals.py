"""Earning steps: record an order's points as pending, settle them, take them back on a return.

The points are computed here, once, from the member's tier and the policies in
force when the order is recorded (``loyalty.domain.earning``); the settlement
gives the lot POL-EXPIRY-001's life from the day the points become available.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.contracts.accrual import (
    RECORD_PENDING_ACCRUAL,
    SETTLE_ACCRUAL,
    TAKE_BACK_ACCRUAL,
    AccrualRecord,
    RecordPendingAccrual,
    ReturnOutcome,
    SettleAccrual,
    TakeBack,
    return_key,
)
from loyalty.domain.earning import earn
from loyalty.domain.promotions import bonus_multipliers
from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError
from loyalty.ledger import catalog, promotions
from loyalty.ledger.accruals import Purchase, Return
from loyalty.ledger.operation import utc_now
from loyalty.ledger.repository import Clock, Ledger
from loyalty.ledger.results import AccrualView
from loyalty.policies.book import PolicyBook


def record(view: AccrualView) -> AccrualRecord:
    return AccrualRecord.model_validate(dataclasses.asdict(view))


class AccrualActivities:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ledger: Ledger,
        policies: PolicyBook,
        currency: str,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._ledger = ledger
        self._policies = policies
        self._currency = currency
        self._clock = clock

    @activity.defn(name=RECORD_PENDING_ACCRUAL)
    @business_errors
    def record_pending(self, request: RecordPendingAccrual) -> AccrualRecord:
        if request.currency != self._currency:
            raise ValidationError(
                f"currency {request.currency} is not the program's ({self._currency})"
            )
        now = self._clock()
        with self._sessions() as session:
            tier = Tier(catalog.get_member(session, member_id=request.member_id).tier)
            live = promotions.live_promotions(session, now=now)
        rules = self._policies.earning_rules()
        # POL-PROMO-001: at most max_stacked bonuses, one per campaign, added to the tier's
        # multiplier; earn() caps the total at max_bonus_multiplier.
        bonuses = bonus_multipliers(live, at=now, tier=tier, rules=self._policies.stacking_rules())
        earning = earn(
            request.amount, tier=tier, rules=rules, promotion_bonuses=[p.value for p in bonuses]
        )
        view = self._ledger.pend(
            purchase=Purchase(
                accrual_id=request.accrual_id,
                member_id=request.member_id,
                order_id=request.order_id,
                source=request.source,
                amount=request.amount,
                currency=request.currency,
            ),
            tier=tier.value,
            earning=earning,
            available_at=now + dt.timedelta(days=rules.pending_period_days),
            actor=request.actor,
        )
        return record(view)

    @activity.defn(name=SETTLE_ACCRUAL)
    @business_errors
    def settle(self, request: SettleAccrual) -> AccrualRecord:
        life = dt.timedelta(days=self._policies.numbers().credit_expiry_days)
        view = self._ledger.settle(
            member_id=request.member_id,
            accrual_id=request.accrual_id,
            expires_at=self._clock() + life,
        )
        return record(view)

    @activity.defn(name=TAKE_BACK_ACCRUAL)
    @business_errors
    def take_back(self, request: TakeBack) -> ReturnOutcome:
        posted = self._ledger.take_back(
            member_id=request.member_id,
            accrual_id=request.accrual_id,
            request=Return(
                return_key=return_key(request.accrual_id, request.return_id),
                amount=request.amount,
                reason=request.reason,
                actor=request.actor,
            ),
        )
        return ReturnOutcome(
            return_id=request.return_id,
            amount=posted.amount,
            points=posted.points,
            from_pending=posted.from_pending,
            from_available=posted.from_available,
            shortfall=posted.shortfall,
            accrual=record(posted.accrual),
            replayed=posted.replayed,
        )

"""Partner fulfillment steps: issue a voucher and void it, both idempotent by key at the partner.

The issued code is a bearer credential: it goes to ``ledger.vouchers`` and the
workflow gets only the voucher id, so the code never enters Temporal history,
the Web UI or the redemption mirror.

Each HTTP attempt heartbeats, so a partner call that retries for a while stays
visibly alive, and a dead worker is noticed within the heartbeat timeout.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.contracts.redemption import (
    FULFILL_REWARD,
    VOID_FULFILLMENT,
    VOID_REFUNDED_UNITS,
    Fulfillment,
    FulfillReward,
    VoidFulfillment,
    VoidOutcome,
    VoidUnits,
)
from loyalty.errors import InvalidStateError
from loyalty.ledger import vouchers
from loyalty.partners import IssueVoucherRequest, PartnerClient


class FulfillmentActivities:
    def __init__(self, *, partner: PartnerClient, sessions: sessionmaker[Session]) -> None:
        self._partner = partner
        self._sessions = sessions

    @activity.defn(name=FULFILL_REWARD)
    @business_errors
    def fulfill_reward(self, request: FulfillReward) -> Fulfillment:
        voucher = self._partner.issue_voucher(
            IssueVoucherRequest(
                idempotency_key=request.idempotency_key,
                reward_id=request.reward_id,
                member_id=request.member_id,
                quantity=request.quantity,
            ),
            on_attempt=activity.heartbeat,
        )
        with self._sessions.begin() as session:
            vouchers.record(
                session,
                voucher_id=voucher.voucher_id,
                redemption_id=activity.info().workflow_id or "",
                member_id=request.member_id,
                code=voucher.code,
            )
        return Fulfillment(voucher_id=voucher.voucher_id, status=voucher.status)

    @activity.defn(name=VOID_REFUNDED_UNITS)
    @business_errors
    def void_refunded_units(self, request: VoidUnits) -> VoidOutcome:
        """The partner confirms the units are unused and voids them (else: no refund).

        Raises:
            PartnerRejectedError: the units were used (``voucher_used``).
            InvalidStateError: the partner knows no voucher under the key.
        """
        result = self._partner.void_voucher(
            request.fulfillment_key,
            units=request.units,
            request_key=request.request_key,
            on_attempt=activity.heartbeat,
        )
        if result.status == "not_found":
            raise InvalidStateError(
                f"the partner has no voucher under {request.fulfillment_key}",
                reasons=["the partner cannot confirm the voucher is unused"],
            )
        return VoidOutcome(status=result.status, units_voided=result.units_voided)

    @activity.defn(name=VOID_FULFILLMENT)
    @business_errors
    def void_fulfillment(self, request: VoidFulfillment) -> VoidOutcome:
        result = self._partner.void_voucher(request.idempotency_key, on_attempt=activity.heartbeat)
        return VoidOutcome(status=result.status, units_voided=result.units_voided)

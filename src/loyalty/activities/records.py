"""Mirror a redemption's state into PostgreSQL and announce its outcome (best effort)."""

from __future__ import annotations

import structlog
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from loyalty.activities.contracts import (
    NOTIFY_REDEMPTION,
    RECORD_REDEMPTION,
    NotifyRedemption,
    RecordRedemption,
)
from loyalty.activities.errors import business_errors
from loyalty.ledger.redemptions import upsert_redemption

log = structlog.get_logger(__name__)


class RecordActivities:
    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @activity.defn(name=RECORD_REDEMPTION)
    @business_errors
    def record_redemption(self, request: RecordRedemption) -> None:
        state = request.state
        with self._sessions.begin() as session:
            upsert_redemption(
                session,
                values={
                    "id": state.redemption_id,
                    "request_id": state.request_id,
                    "member_id": state.member_id,
                    "reward_id": state.reward_id,
                    "quantity": state.quantity,
                    "channel": state.channel,
                    "device_id": state.device_id,
                    "status": state.status.value,
                    "points": state.points,
                    "hold_id": state.hold_id,
                    "voucher_id": state.voucher_id,
                    "outcome": state.model_dump(mode="json"),
                },
            )

    @activity.defn(name=NOTIFY_REDEMPTION)
    def notify_redemption(self, request: NotifyRedemption) -> None:
        log.info(
            "redemption_event",
            event_type=request.event,
            redemption_id=request.state.redemption_id,
            member_id=request.state.member_id,
            status=request.state.status.value,
        )

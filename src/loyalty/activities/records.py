"""Mirror a redemption's state into PostgreSQL and announce its outcome (best effort).

Announcing means starting one webhook delivery workflow per subscription
(see ``loyalty.webhooks``); the saga never waits for the deliveries themselves.
"""

from __future__ import annotations

import structlog
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.contracts.redemption import (
    NOTIFY_REDEMPTION,
    RECORD_REDEMPTION,
    NotifyRedemption,
    RecordRedemption,
    RedemptionState,
)
from loyalty.contracts.webhooks import redemption_event
from loyalty.ledger.redemptions import upsert_redemption
from loyalty.webhooks.publisher import publish

log = structlog.get_logger(__name__)


def _progress(state: RedemptionState) -> int:
    """How far the saga had got: it grows with every record a run makes.

    Steps are only ever appended, and every record but the first and the last
    follows a new step; the last one (finished) may follow none (an operator
    resolved), so finishing counts one.
    """
    return len(state.steps) + (state.finished_at is not None)


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
                    "recorded_run_id": activity.info().workflow_run_id,
                    "recorded_progress": _progress(state),
                },
            )
        log.info("redemption_recorded", status=state.status.value, step=state.current_step)

    @activity.defn(name=NOTIFY_REDEMPTION)
    async def notify_redemption(self, request: NotifyRedemption) -> None:
        log.info(
            "redemption_event",
            event_type=request.event,
            redemption_id=request.state.redemption_id,
            member_id=request.state.member_id,
            status=request.state.status.value,
        )
        info = activity.info()
        # scheduled_time is the same on every attempt, so a retry builds the same event.
        event = redemption_event(request.event, request.state, at=info.scheduled_time)
        await publish(activity.client(), self._sessions, event, task_queue=info.task_queue)

"""Fan an event out: one WebhookDelivery workflow per matching subscription.

The caller (a best-effort activity) never waits for delivery; the workflow id
``webhook-<event_id>-<subscription_id>`` with REJECT_DUPLICATE makes a repeat a
no-op, so a retried notify never delivers twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from loyalty.contracts.redemption import RedemptionState
from loyalty.contracts.webhooks import (
    WEBHOOK_DELIVERY_WORKFLOW,
    EventType,
    PublishResult,
    WebhookDelivery,
    WebhookEvent,
    delivery_workflow_id,
    event_id,
)
from loyalty.webhooks import subscriptions

log = structlog.get_logger(__name__)


def redemption_event(event_type: str, state: RedemptionState, *, at: dt.datetime) -> WebhookEvent:
    """The event for a redemption state; ids only, never the voucher code."""
    data: dict[str, Any] = state.model_dump(
        mode="json",
        include={
            "redemption_id",
            "request_id",
            "member_id",
            "reward_id",
            "quantity",
            "status",
            "points",
            "reasons",
            "voucher_id",
            "finished_at",
        },
    )
    return WebhookEvent(
        id=event_id(state.redemption_id, event_type),
        type=EventType(event_type),
        created_at=at,
        data=data,
    )


def _subscribers(sessions: sessionmaker[Session], event_type: str) -> list[str]:
    with sessions() as session:
        return [s.id for s in subscriptions.list_for_event(session, event_type=event_type)]


async def publish(
    client: Client, sessions: sessionmaker[Session], event: WebhookEvent, *, task_queue: str
) -> PublishResult:
    """Start a delivery workflow for every active subscription to ``event.type``."""
    started = 0
    for subscription_id in await asyncio.to_thread(_subscribers, sessions, event.type.value):
        try:
            await client.start_workflow(
                WEBHOOK_DELIVERY_WORKFLOW,
                WebhookDelivery(subscription_id=subscription_id, event=event),
                id=delivery_workflow_id(event.id, subscription_id),
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            started += 1
        except WorkflowAlreadyStartedError:
            continue  # delivered (or given up) before: a repeat is a no-op
    log.info("webhook_event_published", event_id=event.id, deliveries=started)
    return PublishResult(event_id=event.id, deliveries_started=started)

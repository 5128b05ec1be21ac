"""Fan an event out from an activity: the path of runs started before the durable fan-out.

Newer runs start their deliveries as child workflows (``workflows/webhook_fanout.py``);
the ``PublishEvent`` and ``NotifyRedemption`` activities of older runs still come
here. The workflow id ``webhook-<event_id>-<subscription_id>`` with
REJECT_DUPLICATE makes a repeat a no-op, so a retried notify never delivers twice.
"""

from __future__ import annotations

import asyncio

import structlog
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from loyalty.contracts.webhooks import (
    WEBHOOK_DELIVERY_WORKFLOW,
    PublishResult,
    WebhookDelivery,
    WebhookEvent,
    delivery_workflow_id,
)
from loyalty.webhooks import subscriptions

log = structlog.get_logger(__name__)


def subscribers(sessions: sessionmaker[Session], event_type: str) -> list[str]:
    """The ids of the active subscriptions to ``event_type``."""
    with sessions() as session:
        return [s.id for s in subscriptions.list_for_event(session, event_type=event_type)]


async def publish(
    client: Client, sessions: sessionmaker[Session], event: WebhookEvent, *, task_queue: str
) -> PublishResult:
    """Start a delivery workflow for every active subscription to ``event.type``."""
    started = 0
    for subscription_id in await asyncio.to_thread(subscribers, sessions, event.type.value):
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

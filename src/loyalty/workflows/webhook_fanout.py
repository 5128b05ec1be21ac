"""Durable webhook fan-out: the workflow itself starts one delivery per subscription.

Replaces the best-effort ``NotifyRedemption`` / ``PublishEvent`` activities
(kept for runs started before ``DURABLE_FANOUT_PATCH``): the subscriber list
comes from an activity that retries until it answers, and each delivery is a
child workflow started as a command in this workflow's history, with the
ABANDON close policy so it outlives its parent. A workflow that announced an
event has therefore started every delivery of it: at least once, as promised.
A delivery id ``webhook-<event_id>-<subscription_id>`` that exists already
(a reset replays the fan-out) is skipped.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts.webhooks import (
        LIST_WEBHOOK_SUBSCRIBERS,
        WEBHOOK_DELIVERY_WORKFLOW,
        EventType,
        SubscriberQuery,
        Subscribers,
        WebhookDelivery,
        WebhookEvent,
        delivery_workflow_id,
    )

DURABLE_FANOUT_PATCH = "durable-webhook-fanout"
# Until the database answers: the event must not be lost, and nothing else waits on it.
LIST_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
)


# A listing run as a local activity retries in the worker while its backoff is short;
# longer backoffs (the database down for more than a few seconds) become timers in the
# history, so no workflow task is held for the length of an outage.
LOCAL_LIST_THRESHOLD = timedelta(seconds=10)


async def _subscribers(event_type: EventType, *, local: bool = False) -> Subscribers:
    """The active subscriptions to ``event_type``; with ``local``, from a local activity.

    A local listing costs no activity task round trip through the server; it is
    read-only, so running it again after a worker crash is harmless.
    """
    query = SubscriberQuery(event_type=event_type)
    options: dict[str, Any] = {
        "result_type": Subscribers,
        "start_to_close_timeout": timedelta(seconds=30),
        "retry_policy": LIST_RETRY,
    }
    if local:
        found: Subscribers = await workflow.execute_local_activity(
            LIST_WEBHOOK_SUBSCRIBERS,
            query,
            local_retry_threshold=LOCAL_LIST_THRESHOLD,
            **options,
        )
        return found
    found = await workflow.execute_activity(LIST_WEBHOOK_SUBSCRIBERS, query, **options)
    return found


async def fan_out(event: WebhookEvent, *, local: bool = False) -> int:
    """Start a WebhookDelivery child per active subscription to ``event.type``; how many.

    ``local`` lists the subscribers in a local activity (see ``_subscribers``).
    """
    return await _deliver([event], await _subscribers(event.type, local=local))


async def fan_out_many(event_type: EventType, events: list[WebhookEvent]) -> int:
    """``fan_out`` for many events of one type: the subscribers are listed once."""
    if not events:
        return 0
    return await _deliver(events, await _subscribers(event_type))


async def _deliver(events: list[WebhookEvent], found: Subscribers) -> int:
    """Start each event's delivery to each subscription; how many were new."""
    started = 0
    for event in events:
        for subscription_id in found.subscription_ids:
            try:
                await workflow.start_child_workflow(
                    WEBHOOK_DELIVERY_WORKFLOW,
                    WebhookDelivery(subscription_id=subscription_id, event=event),
                    id=delivery_workflow_id(event.id, subscription_id),
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
            except WorkflowAlreadyStartedError:
                continue  # delivered (or under way) already: a repeat is a no-op
            started += 1
    return started

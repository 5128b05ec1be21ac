"""Webhook wire contracts: event types, workflow and activity names, payloads.

Imported by workflows. An event id is
deterministic (``<source workflow id>:<event type>``), so a repeated notify
produces the same id and receivers can de-duplicate on it; the delivery
workflow id ``webhook-<event_id>-<subscription_id>`` makes a repeated fan-out a
no-op in Temporal.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import Field

from loyalty.contracts.base import Contract

WEBHOOK_DELIVERY_WORKFLOW = "WebhookDelivery"
DELIVER_WEBHOOK = "DeliverWebhook"
RECORD_WEBHOOK_FAILURE = "RecordWebhookFailure"
PUBLISH_EVENT = "PublishEvent"

SIGNATURE_HEADER = "X-Loyalty-Signature"
EVENT_ID_HEADER = "X-Loyalty-Event-Id"
EVENT_TYPE_HEADER = "X-Loyalty-Event-Type"


class EventType(StrEnum):
    COMPLETED = "redemption.completed"
    FAILED = "redemption.failed"
    COMPENSATED = "redemption.compensated"
    AWAITING_APPROVAL = "redemption.awaiting_approval"
    REFUNDED = "redemption.refunded"


def event_id(source_id: str, event_type: str) -> str:
    return f"{source_id}:{event_type}"


def delivery_workflow_id(event: str, subscription_id: str) -> str:
    return f"webhook-{event}-{subscription_id}"


class WebhookEvent(Contract):
    """The JSON body a subscriber receives."""

    id: str = Field(description="Stable event id: de-duplicate on it (delivery is at-least-once).")
    type: EventType
    created_at: dt.datetime
    data: dict[str, Any]


class WebhookDelivery(Contract):
    """Input of the WebhookDelivery workflow and its DeliverWebhook activity."""

    subscription_id: str
    event: WebhookEvent


class DeliveryResult(Contract):
    delivered: bool
    status_code: int | None = None
    detail: str = ""


class PublishResult(Contract):
    event_id: str
    deliveries_started: int

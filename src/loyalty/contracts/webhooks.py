"""Webhook wire contracts: event types, workflow and activity names, payloads.

Imported by workflows. An event id is deterministic (``<source workflow
id>:<event type>``) and travels as the ``webhook-id`` header, so receivers
de-duplicate on it; the delivery workflow id ``webhook-<event_id>-<subscription_id>``
makes a repeated fan-out a no-op in Temporal. Workflows fan out with
``ListWebhookSubscribers`` and one child ``WebhookDelivery`` per subscription
(``workflows/webhook_fanout.py``); ``PublishEvent`` and ``NotifyRedemption``
serve only runs started before that.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import Field

from loyalty.contracts.base import Contract
from loyalty.contracts.members import TierReviewed
from loyalty.contracts.redemption import RedemptionState

WEBHOOK_DELIVERY_WORKFLOW = "WebhookDelivery"
DELIVER_WEBHOOK = "DeliverWebhook"
RECORD_WEBHOOK_FAILURE = "RecordWebhookFailure"
LIST_WEBHOOK_SUBSCRIBERS = "ListWebhookSubscribers"
PUBLISH_EVENT = "PublishEvent"

EVENT_TYPE_HEADER = "X-Loyalty-Event-Type"
# What a redemption event tells subscribers: ids and outcome, never a voucher code.
REDEMPTION_EVENT_FIELDS = frozenset(
    {
        "redemption_id",
        "request_id",
        "member_id",
        "reward_id",
        "quantity",
        "status",
        "points",
        "reasons",
        "voucher_id",
        "requested_by",
        "finished_at",
    }
)


class EventType(StrEnum):
    COMPLETED = "redemption.completed"
    FAILED = "redemption.failed"
    COMPENSATED = "redemption.compensated"
    AWAITING_APPROVAL = "redemption.awaiting_approval"
    REFUNDED = "redemption.refunded"
    # POL-TIER-001: a tier review moved a member up or down (issue 13 item 2).
    TIER_CHANGED = "member.tier_changed"


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


class SubscriberQuery(Contract):
    """Input of ListWebhookSubscribers."""

    event_type: EventType


class Subscribers(Contract):
    """The active subscriptions to one event type, by id."""

    subscription_ids: list[str] = Field(default_factory=list)


def redemption_event(event_type: str, state: RedemptionState, *, at: dt.datetime) -> WebhookEvent:
    """The event for a redemption state (deterministic: workflows build it)."""
    return WebhookEvent(
        id=event_id(state.redemption_id, event_type),
        type=EventType(event_type),
        created_at=at,
        data=state.model_dump(mode="json", include=set(REDEMPTION_EVENT_FIELDS)),
    )


def tier_event(review: TierReviewed, *, at: dt.datetime) -> WebhookEvent:
    """The ``member.tier_changed`` event of one review (deterministic: workflows build it).

    Its id names the member, the day and the new tier, so a repeated review of
    the same day (a retry, a reset, an on-demand run) announces it once.
    """
    source = f"tier~{review.member_id}~{review.changed_on.isoformat()}~{review.after}"
    return WebhookEvent(
        id=event_id(source, EventType.TIER_CHANGED),
        type=EventType.TIER_CHANGED,
        created_at=at,
        data=review.model_dump(mode="json"),
    )

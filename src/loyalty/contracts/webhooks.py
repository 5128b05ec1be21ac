"""Webhook wire contracts: event types, workflow and activity names, payloads.

Imported by workflows. An event id is deterministic (``<source workflow
id>:<event type>``) and travels as the ``webhook-id`` header, so receivers
de-duplicate on it; the delivery workflow id ``webhook-<event_id>-<subscription_id>``
makes a repeated fan-out a no-op in Temporal. Workflows fan out with
``ListWebhookSubscribers`` and one child ``WebhookDelivery`` per subscription
(``workflows/webhook_fanout.py``); ``PublishEvent`` and ``NotifyRedemption``
serve only runs started before that.

Two events are alerts for operators rather than outcomes for the member's
systems: ``redemption.needs_attention`` (a saga's unwind stopped at a failed
compensation; once per saga) and ``assisted_case.approval_overdue`` (an
assisted case waited for approval longer than POL-APPROVAL-001 allows, and
still waits; once per case). Both carry ids and the failure, no free text
from people and no voucher code.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import Field

from loyalty.contracts.assisted import AssistedState
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
    NEEDS_ATTENTION = "redemption.needs_attention"
    APPROVAL_OVERDUE = "assisted_case.approval_overdue"
    # A return took back points the member had spent: the shortfall is owed (POL-REFUND-001).
    ACCRUAL_SHORTFALL = "accrual.shortfall"
    # POL-EXPIRY-001's advance notice: points expire on a date (sent each lead time once).
    POINTS_EXPIRING = "points.expiring"
    # POL-TIER-001: a tier review moved a member up or down (issue 13 item 2).
    TIER_CHANGED = "member.tier_changed"
    # POL-ACCRUAL-001: an order earned more than max_points_per_purchase; it was capped
    # and is flagged for the fraud team to check for reselling.
    ACCRUAL_CAPPED = "accrual.capped"


# What an overdue approval tells subscribers: ids and amounts, never the agent's free-text reason.
ASSISTED_EVENT_FIELDS = frozenset(
    {"case_id", "request_id", "member_id", "purpose", "requested_by", "status", "points"}
)
# The failure a parked saga reports is cut to this many characters.
FAILURE_REASON_CHARS = 200


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


def needs_attention_event(state: RedemptionState, *, at: dt.datetime) -> WebhookEvent:
    """The alert for a saga whose unwind stopped: ids, what is still owed and why."""
    event = redemption_event(EventType.NEEDS_ATTENTION, state, at=at)
    owed = set(state.failed_compensations)
    latest = {o.step: o.detail for o in state.steps if o.step in owed and o.status == "failed"}
    failures = [
        {"step": step.value, "reason": latest.get(step, "")[:FAILURE_REASON_CHARS]}
        for step in state.failed_compensations
        if step in latest
    ]
    data = {
        **event.data,
        "failed_compensations": [step.value for step in state.failed_compensations],
        "failures": failures,
    }
    return event.model_copy(update={"data": data})


def approval_overdue_event(
    state: AssistedState, *, waiting_since: dt.datetime, limit_hours: float, at: dt.datetime
) -> WebhookEvent:
    """The alert for an assisted case still waiting past the policy's approval time."""
    data = state.model_dump(mode="json", include=set(ASSISTED_EVENT_FIELDS))
    return WebhookEvent(
        id=event_id(state.case_id, EventType.APPROVAL_OVERDUE),
        type=EventType.APPROVAL_OVERDUE,
        created_at=at,
        data={
            **data,
            "reward_id": state.reward_id,
            "waiting_since": waiting_since.isoformat(),
            "approval_timeout_hours": limit_hours,
        },
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

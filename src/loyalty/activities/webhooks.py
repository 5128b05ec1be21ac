"""Webhook activities: list subscribers, the signed POST, the give-up record, the old publish.

``DeliverWebhook`` resolves the endpoint's host at every attempt and posts to
the checked address only (``loyalty.webhooks.targets``), signed with the
subscription's own secret(s) (Standard Webhooks). A refused address ends the
delivery as ``refused`` (retrying cannot make it allowed); every other
non-2xx answer or transport error is raised so Temporal retries with backoff.
Each attempt is recorded in ``webhook_deliveries`` for operators.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from loyalty.contracts.webhooks import (
    DELIVER_WEBHOOK,
    EVENT_TYPE_HEADER,
    LIST_WEBHOOK_SUBSCRIBERS,
    PUBLISH_EVENT,
    RECORD_WEBHOOK_FAILURE,
    DeliveryResult,
    PublishResult,
    SubscriberQuery,
    Subscribers,
    WebhookDelivery,
    WebhookEvent,
    delivery_workflow_id,
)
from loyalty.errors import InvalidStateError
from loyalty.webhooks import signing, subscriptions
from loyalty.webhooks.publisher import publish, subscribers
from loyalty.webhooks.secrets import SecretBox
from loyalty.webhooks.targets import Resolver, Target, TargetRefused, check_target, resolve_host


class WebhookActivities:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        box: SecretBox,
        allow_private: bool = False,
        resolver: Resolver = resolve_host,
        timeout_s: float = 10.0,
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._allow_private = allow_private
        self._resolve = resolver
        self._timeout = timeout_s

    @activity.defn(name=LIST_WEBHOOK_SUBSCRIBERS)
    async def list_subscribers(self, query: SubscriberQuery) -> Subscribers:
        ids = await asyncio.to_thread(subscribers, self._sessions, query.event_type.value)
        return Subscribers(subscription_ids=ids)

    @activity.defn(name=DELIVER_WEBHOOK)
    def deliver(self, request: WebhookDelivery) -> DeliveryResult:
        now = dt.datetime.now(dt.UTC)
        try:
            with self._sessions() as session:
                endpoint = subscriptions.endpoint(
                    session, self._box, subscription_id=request.subscription_id, now=now
                )
        except InvalidStateError as error:  # sealed under another master secret
            return self._give_up(request, "skipped", error.message)
        if endpoint is None:
            return self._give_up(request, "skipped", "subscription removed")
        if not endpoint.secrets:
            return self._give_up(request, "skipped", "no signing secret: rotate it")
        try:
            target = check_target(
                endpoint.url, resolve=self._resolve, allow_private=self._allow_private
            )
        except TargetRefused as refused:
            return self._give_up(request, "refused", refused.message)
        return self._post(request, target, endpoint.secrets, now)

    @activity.defn(name=RECORD_WEBHOOK_FAILURE)
    def record_failure(self, request: WebhookDelivery) -> None:
        self._record(request, "failed", count=False, error="gave up after retries")

    @activity.defn(name=PUBLISH_EVENT)
    async def publish_event(self, event: WebhookEvent) -> PublishResult:
        """Fan out from an activity: Refund runs started before the durable fan-out use it."""
        return await publish(
            activity.client(), self._sessions, event, task_queue=activity.info().task_queue
        )

    def _post(
        self, request: WebhookDelivery, target: Target, secrets: list[str], now: dt.datetime
    ) -> DeliveryResult:
        body = signing.canonical_body(request.event.model_dump(mode="json"))
        headers = {
            **signing.signed_headers(secrets, message_id=request.event.id, body=body, at=now),
            "Content-Type": "application/json",
            EVENT_TYPE_HEADER: request.event.type.value,
            "User-Agent": "loyalty-webhooks/2",
            "Host": target.host_header,
        }
        try:
            with httpx.Client(timeout=self._timeout) as client:  # redirects are not followed
                response = client.post(
                    target.pinned_url(),
                    content=body,
                    headers=headers,
                    extensions={"sni_hostname": target.host},
                )
        except httpx.HTTPError as error:
            self._record(request, "retrying", error=f"{type(error).__name__}: {error}")
            raise ApplicationError(
                f"webhook POST failed: {error}", type="webhook_unreachable"
            ) from error
        if not response.is_success:
            self._record(request, "retrying", code=response.status_code)
            raise ApplicationError(
                f"webhook answered {response.status_code}", type="webhook_rejected"
            )
        self._record(request, "delivered", code=response.status_code)
        return DeliveryResult(delivered=True, status_code=response.status_code)

    def _give_up(self, request: WebhookDelivery, status: str, why: str) -> DeliveryResult:
        """End a delivery that no retry can help; no HTTP call was made."""
        self._record(request, status, error=why, count=False)
        return DeliveryResult(delivered=False, detail=f"{status}: {why}")

    def _record(
        self,
        request: WebhookDelivery,
        status: str,
        *,
        code: int | None = None,
        error: str = "",
        count: bool = True,
    ) -> None:
        with self._sessions.begin() as session:
            subscriptions.record_attempt(
                session,
                delivery_id=delivery_workflow_id(request.event.id, request.subscription_id),
                subscription_id=request.subscription_id,
                event_id=request.event.id,
                event_type=request.event.type.value,
                status=status,
                status_code=code,
                error=error,
                count_attempt=count,
            )

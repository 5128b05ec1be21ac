"""Webhook activities: the signed HTTP POST, the give-up record, and the generic publish.

Every non-2xx answer or transport error is raised so Temporal retries with
backoff; each attempt is recorded in ``webhook_deliveries`` for operators.
"""

from __future__ import annotations

import time

import httpx
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from loyalty.contracts.webhooks import (
    DELIVER_WEBHOOK,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    PUBLISH_EVENT,
    RECORD_WEBHOOK_FAILURE,
    SIGNATURE_HEADER,
    DeliveryResult,
    PublishResult,
    WebhookDelivery,
    WebhookEvent,
    delivery_workflow_id,
)
from loyalty.webhooks import signing, subscriptions
from loyalty.webhooks.publisher import publish


class WebhookActivities:
    def __init__(
        self, *, sessions: sessionmaker[Session], secret: SecretStr, timeout_s: float = 10.0
    ) -> None:
        self._sessions = sessions
        self._secret = secret
        self._timeout = timeout_s

    @activity.defn(name=DELIVER_WEBHOOK)
    def deliver(self, request: WebhookDelivery) -> DeliveryResult:
        with self._sessions() as session:
            url = subscriptions.active_url(session, subscription_id=request.subscription_id)
        if url is None:
            self._record(request, "skipped", count=False)
            return DeliveryResult(delivered=False, detail="subscription removed")
        body = signing.canonical_body(request.event.model_dump(mode="json"))
        try:
            response = httpx.post(
                url, content=body, headers=self._headers(request, body), timeout=self._timeout
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

    @activity.defn(name=RECORD_WEBHOOK_FAILURE)
    def record_failure(self, request: WebhookDelivery) -> None:
        self._record(request, "failed", count=False, error="gave up after retries")

    @activity.defn(name=PUBLISH_EVENT)
    async def publish_event(self, event: WebhookEvent) -> PublishResult:
        """Fan out an event from any workflow (the Refund workflow uses it)."""
        return await publish(
            activity.client(), self._sessions, event, task_queue=activity.info().task_queue
        )

    def _headers(self, request: WebhookDelivery, body: bytes) -> dict[str, str]:
        stamp = int(time.time())
        return {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signing.signature_header(
                self._secret.get_secret_value(), body, stamp
            ),
            EVENT_ID_HEADER: request.event.id,
            EVENT_TYPE_HEADER: request.event.type.value,
            "User-Agent": "loyalty-webhooks/1",
        }

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

"""Subscription and delivery records: keyword-only functions over a session.

A subscription's signing secret is returned in plain text exactly twice in
its life: by ``create`` and by ``rotate``, for the API to show once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from loyalty.errors import NotFoundError
from loyalty.webhooks.models import WebhookDeliveryRecord, WebhookSubscription
from loyalty.webhooks.secrets import SecretBox, new_secret, signing_secrets


@dataclass(frozen=True)
class Endpoint:
    """Where and how one delivery goes: the URL and the secrets it is signed with now."""

    url: str
    secrets: list[str]


def create(
    session: Session,
    box: SecretBox,
    *,
    url: str,
    events: Sequence[str],
    description: str,
    created_by: str,
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (plain, to show once; stored sealed)."""
    secret = new_secret()
    subscription = WebhookSubscription(
        id=f"wh_{secrets.token_hex(8)}",
        url=url,
        events=sorted(set(events)),
        description=description,
        active=True,
        created_by=created_by,
        secret_ciphertext=box.seal(secret),
        secret_rotated_at=dt.datetime.now(dt.UTC),
    )
    session.add(subscription)
    session.flush()
    return subscription, secret


def rotate(
    session: Session, box: SecretBox, *, subscription_id: str, overlap: dt.timedelta
) -> tuple[WebhookSubscription, str]:
    """A new signing secret; the old one keeps signing beside it for ``overlap``."""
    subscription = get(session, subscription_id=subscription_id, lock=True)
    now = dt.datetime.now(dt.UTC)
    secret = new_secret()
    subscription.previous_secret_ciphertext = subscription.secret_ciphertext
    subscription.previous_secret_expires_at = now + overlap
    subscription.secret_ciphertext = box.seal(secret)
    subscription.secret_rotated_at = now
    return subscription, secret


def endpoint(
    session: Session, box: SecretBox, *, subscription_id: str, now: dt.datetime
) -> Endpoint | None:
    """The endpoint of an active subscription; None once it was deleted."""
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or not subscription.active:
        return None
    keys = signing_secrets(
        box,
        current=subscription.secret_ciphertext,
        previous=subscription.previous_secret_ciphertext,
        previous_until=subscription.previous_secret_expires_at,
        now=now,
    )
    return Endpoint(url=subscription.url, secrets=keys)


def list_active(session: Session) -> Sequence[WebhookSubscription]:
    query = select(WebhookSubscription).where(WebhookSubscription.active)
    # Oldest first, the id breaking ties: the order the list's keyset cursor follows.
    return session.scalars(
        query.order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    ).all()


def list_for_event(session: Session, *, event_type: str) -> Sequence[WebhookSubscription]:
    query = select(WebhookSubscription).where(
        WebhookSubscription.active, WebhookSubscription.events.contains([event_type])
    )
    return session.scalars(query.order_by(WebhookSubscription.id)).all()


def get(session: Session, *, subscription_id: str, lock: bool = False) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id, with_for_update=lock)
    if subscription is None or not subscription.active:
        raise NotFoundError(f"webhook subscription {subscription_id} not found")
    return subscription


def deactivate(session: Session, *, subscription_id: str) -> WebhookSubscription:
    """Soft delete: past deliveries keep their subscription; no new ones start."""
    subscription = get(session, subscription_id=subscription_id)
    subscription.active = False
    subscription.deleted_at = dt.datetime.now(dt.UTC)
    return subscription


def record_attempt(
    session: Session,
    *,
    delivery_id: str,
    subscription_id: str,
    event_id: str,
    event_type: str,
    status: str,
    status_code: int | None = None,
    error: str = "",
    count_attempt: bool = True,
) -> None:
    """Upsert the delivery row; ``attempts`` counts HTTP calls made so far."""
    step = 1 if count_attempt else 0
    values = {"status": status, "last_status_code": status_code, "last_error": error[:2000]}
    session.execute(
        insert(WebhookDeliveryRecord)
        .values(
            id=delivery_id,
            subscription_id=subscription_id,
            event_id=event_id,
            event_type=event_type,
            attempts=step,
            **values,
        )
        .on_conflict_do_update(
            index_elements=[WebhookDeliveryRecord.id],
            set_={
                **values,
                "attempts": WebhookDeliveryRecord.attempts + step,
                "updated_at": func.now(),
            },
        )
    )


def deliveries_for_event(session: Session, *, event_id: str) -> Sequence[WebhookDeliveryRecord]:
    query = select(WebhookDeliveryRecord).where(WebhookDeliveryRecord.event_id == event_id)
    return session.scalars(query).all()

"""Webhook subscriptions (operators only): public HTTPS endpoints, each with its own secret.

The signing secret is shown once, in the answer that creates or rotates it.
The endpoint is checked here (``loyalty.webhooks.targets``) and again at every
delivery, because where a name resolves can change after it was subscribed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path, Response
from fastapi.concurrency import run_in_threadpool

from loyalty.api import audit, views
from loyalty.api.access import allow
from loyalty.api.auth import Role
from loyalty.api.deps import PrincipalDep, SessionDep, StateDep
from loyalty.api.errors import FieldError
from loyalty.api.paging import KeysetCursor, Limit, instant, window
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import (
    WebhookCreate,
    WebhookCreated,
    WebhookSecretRotated,
    WebhooksPublic,
)
from loyalty.webhooks import subscriptions
from loyalty.webhooks.targets import TargetRefused, check_target

router = gated_router(prefix="/v1/webhooks", tags=["webhooks"], responses=errors(*AUTHENTICATED))
OPERATORS = allow(Role.OPERATOR)
SubscriptionId = Annotated[
    str, Path(pattern=r"^wh_[0-9a-f]{1,32}$", description="Subscription id.")
]


@router.post(
    "",
    operation_id="webhooks.create",
    status_code=201,
    response_model=WebhookCreated,
    summary="Subscribe; the answer holds the signing secret, shown only this once",
    responses=errors(413),
    openapi_extra=OPERATORS,
)
async def create(body: WebhookCreate, principal: PrincipalDep, state: StateDep) -> WebhookCreated:
    settings = state.settings
    try:  # resolving the host may block on DNS: off the event loop
        await run_in_threadpool(
            check_target,
            body.url,
            resolve=state.resolver,
            allow_private=settings.webhook_allow_private_targets,
        )
    except TargetRefused as refused:
        raise FieldError("url", refused.message) from None

    def subscribe() -> WebhookCreated:
        with state.sessions.begin() as session:
            row, secret = subscriptions.create(
                session,
                state.secrets,
                url=body.url,
                events=[e.value for e in body.events],
                description=body.description,
                created_by=principal.subject,
            )
            created = WebhookCreated(**views.webhook(row).model_dump(), secret=secret)
        audit.record(
            state.sessions,
            principal,
            action="webhook.create",
            target=created.id,
            details={"url": body.url},
        )
        return created

    return await run_in_threadpool(subscribe)


@router.post(
    "/{subscription_id}/rotate-secret",
    operation_id="webhooks.rotate_secret",
    response_model=WebhookSecretRotated,
    summary="A new signing secret; the previous one keeps signing for the overlap window",
    responses=errors(404),
    openapi_extra=OPERATORS,
)
def rotate_secret(
    subscription_id: SubscriptionId, principal: PrincipalDep, state: StateDep
) -> WebhookSecretRotated:
    overlap = dt.timedelta(seconds=state.settings.webhook_secret_overlap_s)
    with state.sessions.begin() as session:
        row, secret = subscriptions.rotate(
            session, state.secrets, subscription_id=subscription_id, overlap=overlap
        )
        assert row.previous_secret_expires_at is not None  # set by the rotation
        rotated = WebhookSecretRotated(
            id=row.id, secret=secret, previous_secret_expires_at=row.previous_secret_expires_at
        )
    audit.record(state.sessions, principal, action="webhook.rotate", target=subscription_id)
    return rotated


@router.get(
    "",
    operation_id="webhooks.list",
    response_model=WebhooksPublic,
    summary="List active subscriptions",
    openapi_extra=OPERATORS,
)
def list_all(
    principal: PrincipalDep, session: SessionDep, cursor: KeysetCursor = None, limit: Limit = 100
) -> WebhooksPublic:
    data, next_cursor = window(
        subscriptions.list_active(session),
        cursor,
        limit,
        key=lambda s: (instant(s.created_at), s.id),
    )
    return WebhooksPublic(data=[views.webhook(row) for row in data], next_cursor=next_cursor)


@router.delete(
    "/{subscription_id}",
    operation_id="webhooks.delete",
    status_code=204,
    response_class=Response,
    summary="Unsubscribe (no new deliveries start)",
    responses=errors(404),
    openapi_extra=OPERATORS,
)
def delete(subscription_id: SubscriptionId, principal: PrincipalDep, state: StateDep) -> Response:
    with state.sessions.begin() as session:
        subscriptions.deactivate(session, subscription_id=subscription_id)
    audit.record(state.sessions, principal, action="webhook.delete", target=subscription_id)
    return Response(status_code=204)

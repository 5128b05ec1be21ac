"""Webhook subscriptions (operators only): subscribe an HTTPS endpoint to redemption events."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Path, Response

from loyalty.api import audit, views
from loyalty.api.access import allow
from loyalty.api.auth import Role
from loyalty.api.deps import PrincipalDep, SessionDep, SettingsDep, StateDep
from loyalty.api.errors import FieldError
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import WebhookCreate, WebhookPublic, WebhooksPublic
from loyalty.config import Settings
from loyalty.webhooks import subscriptions

router = gated_router(prefix="/v1/webhooks", tags=["webhooks"], responses=errors(*AUTHENTICATED))
OPERATORS = allow(Role.OPERATOR)
SubscriptionId = Annotated[
    str, Path(pattern=r"^wh_[0-9a-f]{1,32}$", description="Subscription id.")
]
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def require_endpoint(url: str, settings: Settings) -> str:
    """HTTPS only; plain http to localhost is allowed outside production (local receivers)."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError as error:
        raise FieldError("url", f"not a valid URL: {error}") from None
    if not host or parts.username or parts.password:
        raise FieldError("url", "the URL needs a host and no credentials")
    local_http = (
        parts.scheme == "http" and host in _LOCAL_HOSTS and settings.environment != "production"
    )
    if parts.scheme != "https" and not local_http:
        raise FieldError("url", "webhook endpoints must use https")
    return url


@router.post(
    "",
    status_code=201,
    response_model=WebhookPublic,
    summary="Subscribe",
    responses=errors(413),
    openapi_extra=OPERATORS,
)
def create(
    body: WebhookCreate, principal: PrincipalDep, state: StateDep, settings: SettingsDep
) -> WebhookPublic:
    url = require_endpoint(body.url, settings)
    with state.sessions.begin() as session:
        row = subscriptions.create(
            session,
            url=url,
            events=[e.value for e in body.events],
            description=body.description,
            created_by=principal.subject,
        )
        created = views.webhook(row)
    audit.record(
        state.sessions, principal, action="webhook.create", target=created.id, details={"url": url}
    )
    return created


@router.get(
    "", response_model=WebhooksPublic, summary="List active subscriptions", openapi_extra=OPERATORS
)
def list_all(principal: PrincipalDep, session: SessionDep) -> WebhooksPublic:
    return WebhooksPublic(data=[views.webhook(row) for row in subscriptions.list_active(session)])


@router.delete(
    "/{subscription_id}",
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

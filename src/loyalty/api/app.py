"""The FastAPI application factory.

Tests pass a Temporal client and a session factory they already own; the
server (``loyalty api``) passes neither and the lifespan connects both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from loyalty.api import docs, errors
from loyalty.api.auth import TokenVerifier
from loyalty.api.deps import ApiState
from loyalty.api.examples import add_examples
from loyalty.api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from loyalty.api.ratelimit import TokenRateLimiter
from loyalty.api.routes import (
    accruals,
    actions,
    assisted,
    expiry,
    exports,
    health,
    member_admin,
    members,
    operations,
    policies,
    promotions,
    queues,
    redemptions,
    refunds,
    rewards,
    webhooks,
)
from loyalty.config import Settings
from loyalty.errors import UnavailableError
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.observability.api_telemetry import ApiTelemetry
from loyalty.policies.book import PolicyBook
from loyalty.policies.rules import RedemptionRulebook
from loyalty.webhooks.secrets import SecretBox
from loyalty.webhooks.targets import Resolver, resolve_host

log = structlog.get_logger(__name__)
DESCRIPTION = """
Loyalty-points redemptions for customer apps, support agents and operators.

Authenticate with `Authorization: Bearer <JWT>` (RS256/ES256 from the identity
provider, HS256 in development; claims `sub`, `role` = customer | support_agent
| support_lead | operator, `member_id` and `client` for customers, `iss`, `aud`,
`exp`). Each operation's `x-roles` says who may call it; the role is checked
before the body is read. Every error has the shape
`{"error": {"code", "message", "details"}}`.
Send `X-Request-ID` to correlate logs and workflows; it is echoed back.
"""


def create_app(
    settings: Settings,
    *,
    temporal: Client | None = None,
    sessions: sessionmaker[Session] | None = None,
    telemetry: ApiTelemetry | None = None,
    resolver: Resolver = resolve_host,
) -> FastAPI:
    """Build the app; ``temporal``, ``sessions`` and ``telemetry`` default to ``settings``.

    ``resolver`` finds the addresses of webhook hosts (the system's DNS by default).
    """
    telemetry = telemetry or ApiTelemetry.from_settings(settings)
    owned_engine = None
    if sessions is None:
        owned_engine = make_engine(settings.database_url)
        sessions = make_session_factory(owned_engine)
    book = PolicyBook(settings.policies_dir)
    state = ApiState(
        settings=settings,
        sessions=sessions,
        rules=RedemptionRulebook(book, fraud_weights=settings.fraud_weights()).rules,
        policies=book,
        limiter=TokenRateLimiter(settings.rate_limit),
        verifier=TokenVerifier(settings),
        secrets=SecretBox(settings.webhook_secret),
        resolver=resolver,
        client=temporal,
        connect_options=telemetry.client_options,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await state.temporal()
        except UnavailableError as error:  # start anyway: /readyz reports it, calls retry
            log.warning("temporal_unavailable_at_startup", error=error.message)
        with telemetry.serving():
            yield
        if owned_engine is not None:
            owned_engine.dispose()

    app = FastAPI(
        title="Loyalty Orchestration API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # docs.install serves it without a CDN
        redoc_url=None,
    )
    app.state.api = state
    errors.install(app)
    docs.install(app)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_examples(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    for module in (
        health,
        redemptions,
        actions,
        refunds,
        members,
        accruals,
        exports,
        expiry,
        member_admin,
        rewards,
        promotions,
        webhooks,
        assisted,
        policies,
        operations,
        queues,
    ):
        app.include_router(module.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=telemetry.http)  # outermost: sees all
    telemetry.instrument(app, owned_engine)
    return app

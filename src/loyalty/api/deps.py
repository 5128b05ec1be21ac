"""The API's dependencies, wired in one place and used through ``Annotated`` aliases.

``ApiState`` is built once per app by ``create_app`` (or its lifespan) and
holds the long-lived objects; the aliases below hand routes what they need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from loyalty.api.auth import Principal, TokenVerifier
from loyalty.api.errors import NotAuthenticatedError
from loyalty.api.gateway import TemporalGateway
from loyalty.api.ratelimit import TokenRateLimiter
from loyalty.config import Settings
from loyalty.domain.redemption import RedemptionRules
from loyalty.errors import UnavailableError
from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from loyalty.temporal_client import connect
from loyalty.webhooks.secrets import SecretBox
from loyalty.webhooks.targets import Resolver


@dataclass
class ApiState:
    settings: Settings
    sessions: sessionmaker[Session]
    rules: Callable[[], RedemptionRules]  # the rules in force, read per decision
    policies: PolicyBook
    limiter: TokenRateLimiter
    verifier: TokenVerifier
    secrets: SecretBox
    resolver: Resolver
    client: Client | None = None
    # runtime and interceptors for connect(), from loyalty.observability.api_telemetry
    connect_options: Callable[[], dict[str, Any]] = dict

    async def temporal(self) -> Client:
        """The Temporal client, connecting on first use (so the API starts before Temporal)."""
        if self.client is None:
            try:
                self.client = await connect(self.settings, **self.connect_options())
            except RuntimeError as error:  # the SDK's connection failure
                raise UnavailableError(f"cannot reach Temporal: {error}") from None
        return self.client


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


def get_settings(state: StateDep) -> Settings:
    return state.settings


async def get_gateway(state: StateDep) -> TemporalGateway:
    return TemporalGateway(await state.temporal(), task_queue=state.settings.task_queue)


def get_session(state: StateDep) -> Iterator[Session]:
    with state.sessions() as session:
        yield session


def get_ledger(state: StateDep) -> Ledger:
    return Ledger(state.sessions)


def get_sessions(state: StateDep) -> sessionmaker[Session]:
    return state.sessions


def get_request_id(request: Request) -> str:
    return str(request.state.request_id)


_bearer = HTTPBearer(
    auto_error=False,
    description="A JWT from the identity provider (`loyalty token` in development).",
)


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller the route's gate authenticated (``loyalty.api.access``) before anything else.

    ``credentials`` is declared only so OpenAPI documents the bearer scheme.
    """
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):  # a public route asked for a caller: refuse
        raise NotAuthenticatedError("missing bearer token")
    return principal


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
GatewayDep = Annotated[TemporalGateway, Depends(get_gateway)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
RequestIdDep = Annotated[str, Depends(get_request_id)]

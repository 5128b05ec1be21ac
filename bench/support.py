"""Throwaway database and latency statistics shared by the benchmarks."""

from __future__ import annotations

import os
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import make_url

from loyalty.ledger.db import migrate

ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh, migrated database, dropped afterwards."""
    name = f"loyalty_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(ADMIN_URL).set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Result:
    name: str
    operations: int
    seconds: float
    latencies_ms: list[float]
    target_per_s: float

    @property
    def rate(self) -> float:
        return self.operations / self.seconds

    def line(self) -> str:
        p50 = statistics.median(self.latencies_ms)
        p95 = statistics.quantiles(self.latencies_ms, n=20)[18]
        verdict = "ok" if self.rate >= self.target_per_s else "BELOW TARGET"
        return (
            f"{self.name:34} {self.operations:6d} ops {self.rate:9.1f}/s "
            f"(target {self.target_per_s:.0f}/s: {verdict})  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
        )

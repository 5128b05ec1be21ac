"""A local stack for the bench and the fault run: ``loyalty up`` on free ports and a scratch
database, members to redeem with, and the handles that hurt it."""

from __future__ import annotations

import compileall
import contextlib
import datetime as dt
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

import loyalty
from loyalty.api.auth import Role, mint_token
from loyalty.config import Settings
from loyalty.ledger.catalog import ensure_member, upsert_reward
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.ledger.repository import Ledger
from loyalty.seed import _reward
from tests.support.databases import scratch_database, scratch_login
from tests.support.policies import LOOSE_COUNTS, policies_with
from tests.support.stack import StackUnderTest
from tests.support.temporal import RELAXED_FRAUD

GIFT = "R-GIFT-10"  # unlimited stock
LIMITED = "R-FAULT-LIMITED"  # a reward made for the run, with little stock
DEVICE = "fault-run"


@dataclass
class LocalStack:
    """A running ``loyalty up`` plus the handles the load and the faults need."""

    stack: StackUnderTest
    members: list[str]
    limited_stock: int
    funds: int  # each member's one accrual
    settings: Settings

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.stack.ports['api']}"

    def customer_headers(self, member: str) -> dict[str, str]:
        token = mint_token(self.settings, role=Role.CUSTOMER, member_id=member)
        return {"Authorization": f"Bearer {token}"}

    def partner(self, **changes: Any) -> None:
        """Merge partner simulator fault controls."""
        httpx.post(f"{self.stack.partner_url}/control", json=changes, timeout=5).raise_for_status()

    def vouchers(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.stack.partner_url}/vouchers", timeout=30)
        answer.raise_for_status()
        vouchers: list[dict[str, Any]] = answer.json()["vouchers"]
        return vouchers

    def signal(self, fragment: str, sig: signal.Signals) -> int:
        """Send ``sig`` to the stack's one process whose command line has ``fragment``."""
        process = self.stack.service(fragment)
        process.send_signal(sig)
        return int(process.pid)

    def restarts(self, service: str) -> int:
        return self.stack.output().count(f"==> {service} restarted")

    def terminate_backends(self) -> int:
        """Terminate every PostgreSQL backend the app's role holds (API and worker)."""
        owner = make_url(self.stack.migration_url)
        role = make_url(self.stack.database_url).username
        admin = owner.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND usename = %s AND pid <> pg_backend_pid()",
                (owner.database, role),
            ).fetchall()
        return len(rows)


def _stack_env(work: Path) -> dict[str, str]:
    """What the run changes from ``make run``: limits loose enough for one member's many
    redemptions, a partner client that gives up and recovers in seconds, not minutes."""
    policies = policies_with(work / "policies", LOOSE_COUNTS)
    env = {
        "LOYALTY_POLICIES_DIR": str(policies),
        "LOYALTY_RATE_LIMIT": "100000/minute",
        "LOYALTY_PARTNER_READ_TIMEOUT_S": "2",
        "LOYALTY_PARTNER_RETRY_TIMEOUT_S": "5",
        "LOYALTY_PARTNER_BREAKER_RECOVERY_S": "3",
    }
    env |= {f"LOYALTY_{key.upper()}": str(value) for key, value in RELAXED_FRAUD.items()}
    return env


def _seed(stack: StackUnderTest, members: int, limited_stock: int, funds: int) -> list[str]:
    """Members with ``funds`` points each, and the limited reward (as the schema owner)."""
    owner = make_engine(stack.migration_url, pool_size=1)
    with make_session_factory(owner).begin() as session:
        upsert_reward(
            session,
            reward=_reward(
                LIMITED,
                "Fault run keepsake",
                "merchandise",
                700,
                "bronze",
                limited_stock,
                "gearbox",
                None,
            ),
        )
    owner.dispose()
    engine = make_engine(stack.database_url, pool_size=1)
    sessions = make_session_factory(engine)
    ledger = Ledger(sessions)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    ids = [f"F{n:05d}" for n in range(members)]
    with sessions.begin() as session:
        for member in ids:
            ensure_member(
                session,
                member_id=member,
                tier="silver",
                region="US",
                status="active",
                joined_on=dt.date(2024, 1, 1),
            )
    for member in ids:
        ledger.accrue(
            member_id=member, points=funds, expires_at=expires, idempotency_key=f"faults:{member}"
        )
    engine.dispose()
    return ids


def _compile_sources() -> None:
    """Compile the project's modules to bytecode, as the image does (``UV_COMPILE_BYTECODE``).

    The workflow sandbox imports a workflow's module afresh for every new run; from an
    editable install under ``PYTHONDONTWRITEBYTECODE`` (this machine's environment) that
    means compiling its source each time, about 5 ms of worker CPU per saga that a
    deployed worker does not spend (docs/performance.md, the profile).
    """
    compileall.compile_dir(Path(loyalty.__file__).parent, quiet=1)


@contextlib.contextmanager
def local_stack(
    *, members: int, limited_stock: int, funds: int, temporal_db_dir: Path | None = None
) -> Iterator[LocalStack]:
    """Start ``loyalty up`` on free ports with a scratch database; stop and drop it after.

    ``temporal_db_dir`` puts the dev server's SQLite file in a folder of its own (a tmpfs
    such as /dev/shm: no disk I/O, the bench's stand-in for an in-memory server).
    """
    with (
        tempfile.TemporaryDirectory(prefix="loyalty-stack-") as tmp,
        scratch_database("loyalty_stack", create=False) as owner,
        scratch_login(owner) as app,
    ):
        work = Path(tmp)
        stack = StackUnderTest.prepare(work, app, owner)
        if temporal_db_dir is not None:
            stack.temporal_db_dir = Path(
                tempfile.mkdtemp(prefix="loyalty-temporal-", dir=temporal_db_dir)
            )
        extra = _stack_env(work)
        os.environ.update(extra)  # the stack inherits it; Settings below read it too
        try:
            _compile_sources()
            stack.start("--no-ingest")  # the policy corpus plays no part in a redemption
            stack.wait_for_line("stop: Ctrl-C", timeout_s=300)
            ids = _seed(stack, members, limited_stock, funds)
            yield LocalStack(stack, ids, limited_stock, funds, Settings())
        finally:
            for key in extra:
                os.environ.pop(key, None)
            if stack.process is not None and stack.process.poll() is None:
                stack.terminate()
            stack.kill_leftovers()
            if stack.temporal_db_dir is not None:
                shutil.rmtree(stack.temporal_db_dir, ignore_errors=True)

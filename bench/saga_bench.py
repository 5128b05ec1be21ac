"""Saga throughput: complete redemptions end to end through Temporal, the ledger and the partner."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from bench.support import Result
from loyalty.config import Settings
from loyalty.contracts import search
from loyalty.contracts.redemption import (
    REDEMPTION_WORKFLOW,
    RedemptionRequest,
    RedemptionState,
    RedemptionStatus,
)
from loyalty.ledger.catalog import ensure_member, upsert_reward
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.ledger.repository import Ledger
from loyalty.seed import CATALOG, _reward
from loyalty.temporal_client import DATA_CONVERTER
from loyalty.worker import build_activities, build_worker, partner_client
from tests.support.partner_simulator import start_simulator, stop_simulator
from tests.support.policies import LOOSE_COUNTS, policies_with

REDEMPTIONS = 200
CONCURRENCY = 20
MEMBERS = 40
TARGET_PER_S = 6.0


async def run(database_url: str, log_dir: Path) -> Result:
    engine = make_engine(database_url, pool_size=16)
    sessions = make_session_factory(engine)
    ledger = Ledger(sessions)
    with sessions.begin() as session:
        for row in CATALOG:
            upsert_reward(session, reward=_reward(*row))
        for n in range(MEMBERS):
            ensure_member(
                session,
                member_id=f"S{n}",
                tier="silver",
                region="US",
                joined_on=dt.date(2020, 1, 1),
            )
    for n in range(MEMBERS):
        ledger.accrue(
            member_id=f"S{n}",
            points=1_000_000,
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=365),
            idempotency_key=f"bench:saga:{n}",
        )
    simulator = start_simulator(log_dir / "simulator.log")
    settings = Settings(
        DATABASE_URL=database_url,
        partner_url=simulator.url,
        policies_dir=policies_with(log_dir / "policies", LOOSE_COUNTS),
        fraud_velocity_hour_count=10_000,
        fraud_velocity_day_count=10_000,
        partner_breaker_failure_threshold=1_000,
    )
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=search.ALL,
    )
    try:
        return await _measure(env, settings, sessions)
    finally:
        await env.shutdown()
        stop_simulator(simulator)
        engine.dispose()


async def _measure(env: WorkflowEnvironment, settings: Settings, sessions) -> Result:  # type: ignore[no-untyped-def]
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    gate = asyncio.Semaphore(CONCURRENCY)
    latencies: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            start = time.perf_counter()
            state: RedemptionState = await env.client.execute_workflow(
                REDEMPTION_WORKFLOW,
                RedemptionRequest(
                    request_id=f"bench-{queue}-{i}",
                    member_id=f"S{i % MEMBERS}",
                    reward_id="R-GIFT-10",
                    device_id="bench",
                ),
                id=f"redemption-bench-{queue}-{i}",
                task_queue=queue,
                result_type=RedemptionState,
            )
            assert state.status == RedemptionStatus.COMPLETED, state.reasons
            latencies.append((time.perf_counter() - start) * 1000)

    with partner_client(settings) as partner, ThreadPoolExecutor(40) as executor:
        activities = build_activities(
            settings=settings, sessions=sessions, partner=partner, client=env.client
        )
        async with build_worker(
            env.client, task_queue=queue, activities=activities, executor=executor
        ):
            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(REDEMPTIONS)))
            elapsed = time.perf_counter() - started
    return Result("redemption sagas end to end", REDEMPTIONS, elapsed, latencies, TARGET_PER_S)

"""Many redemptions against one account or one reward's stock, and a worker killed mid-saga."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from loyalty.contracts.redemption import RedemptionStatus, Step
from loyalty.ledger.models import Reward
from loyalty.ledger.reconcile import reconcile_stock
from loyalty.ledger.repository import Ledger
from tests.conftest import HarnessFactory, MemberFactory, RewardFactory, unique_id
from tests.support.partner_simulator import PartnerSimulator
from tests.support.policies import LOOSE_COUNTS, policies_with
from tests.support.redemptions import ledger_kinds, redemption_request, wait_for
from tests.support.temporal import RELAXED_FRAUD, SagaHarness


async def test_thirty_concurrent_redemptions_never_overdraw(
    saga_factory: HarnessFactory, ledger: Ledger, new_member: MemberFactory, tmp_path: Path
) -> None:
    member = new_member(points=10_000)  # silver: R-GIFT-10 costs 950, so 10 fit
    # Balance, not the count limits, must be what stops them: publish looser ones.
    policies = policies_with(tmp_path / "policies", LOOSE_COUNTS)
    async with saga_factory(policies_dir=policies) as saga:
        handles = await asyncio.gather(*(saga.start(redemption_request(member)) for _ in range(30)))
        states = await asyncio.gather(*(h.result() for h in handles))

    completed = [s for s in states if s.status == RedemptionStatus.COMPLETED]
    refused = [s for s in states if s.status != RedemptionStatus.COMPLETED]
    balance = ledger.balance(member_id=member)
    assert 0 < len(completed) <= 10
    assert all(s.status == RedemptionStatus.REJECTED for s in refused)
    assert all(any("insufficient points" in r for r in s.reasons) for s in refused)
    assert balance.held == 0, "no orphan hold"
    assert balance.available == 10_000 - 950 * len(completed) >= 0
    assert balance.available < 950, "every affordable redemption went through"
    kinds = ledger_kinds(ledger, member)
    assert kinds.count("capture") == len(completed)
    assert kinds.count("hold") == kinds.count("capture") + kinds.count("release")
    assert ledger.reconcile(member_id=member) == []


def start_worker_process(
    env: WorkflowEnvironment, *, task_queue: str, database_url: str, partner_url: str, log: Path
) -> subprocess.Popen[bytes]:
    settings_env = {
        "DATABASE_URL": database_url,
        "LOYALTY_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "LOYALTY_TASK_QUEUE": task_queue,
        "LOYALTY_PARTNER_URL": partner_url,
        "LOYALTY_LOG_LEVEL": "WARNING",
        **{f"LOYALTY_{k.upper()}": str(v) for k, v in RELAXED_FRAUD.items()},
    }
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("loyalty")), "worker"],
        env={**os.environ, **settings_env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def test_a_worker_killed_mid_saga_completes_it_once_after_restart(
    temporal_env: WorkflowEnvironment,
    database_url: str,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
    tmp_path: Path,
) -> None:
    partner_simulator.reset()
    member = new_member(points=5_000)
    task_queue = unique_id("crash")
    spawn = lambda: start_worker_process(  # noqa: E731 - two identical starts
        temporal_env,
        task_queue=task_queue,
        database_url=database_url,
        partner_url=partner_simulator.url,
        log=tmp_path / "worker.log",
    )
    partner_simulator.control(issue={"latency_ms": 1500})  # the voucher lands while we crash
    first = spawn()
    try:
        harness = SagaHarness(client=temporal_env.client, task_queue=task_queue)
        handle = await harness.start(redemption_request(member))
        await wait_for(handle, step=Step.FULFILL_REWARD, timeout_s=30)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        partner_simulator.control(issue={"latency_ms": 0})
        second = spawn()
        try:
            state = await asyncio.wait_for(handle.result(), timeout=120)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()

    assert state.status == RedemptionStatus.COMPLETED, state.reasons
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "capture"]
    assert len(partner_simulator.vouchers()) == 1
    assert ledger.reconcile(member_id=member) == []


async def test_eight_redemptions_of_three_units_never_oversell(
    saga: SagaHarness,
    ledger: Ledger,
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
    new_reward: RewardFactory,
) -> None:
    reward = new_reward(inventory=3)
    members = [new_member(points=5_000) for _ in range(8)]

    states = await asyncio.gather(
        *(saga.redeem(redemption_request(member, reward)) for member in members)
    )

    completed = [s for s in states if s.status == RedemptionStatus.COMPLETED]
    refused = [s for s in states if s.status != RedemptionStatus.COMPLETED]
    with sessions() as session:
        stock = session.get(Reward, reward)
        assert stock is not None and stock.inventory is not None
        left = stock.inventory
        assert [d for d in reconcile_stock(session) if d.subject == reward] == []
    assert len(completed) <= 3 and left == 3 - len(completed) >= 0
    assert len(completed) == 3, "stock was there for three"
    for state in refused:
        assert state.status == RedemptionStatus.REJECTED
        assert any("stock" in reason for reason in state.reasons), state.reasons
        assert ledger.balance(member_id=state.member_id).available == 5_000

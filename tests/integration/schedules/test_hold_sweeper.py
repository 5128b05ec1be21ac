"""Holds their saga will never settle: reconcile names them, the sweeper expires them.

Issue 9, scenario 1 (third layer): an operator terminates a redemption while
its voucher is being issued. The hold stays active and no workflow will ever
release it. ``loyalty reconcile`` reports it; the scheduled sweeper, once the
hold is older than POL-REDEMPTION-001's ``hold_expiry_minutes``, voids the
voucher at the partner and only then returns the points and the stock. A
voucher the member already used keeps the hold (the run fails, naming it); an
open saga's hold is never touched, however old.

The sweeper looks at every hold of its database, so these tests have one of
their own, and they make a hold old by moving its creation time back (as the
schema's owner), instead of waiting half an hour.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from loyalty.contracts.maintenance import (
    STRANDED_HOLDS_ERROR,
    SWEEP_HOLDS_WORKFLOW,
    HoldSweepReport,
    HoldSweepRequest,
)
from loyalty.contracts.redemption import FULFILL_REWARD, RedemptionStatus, Step, step_key
from loyalty.ledger.catalog import upsert_reward
from loyalty.ledger.models import Reward
from loyalty.ledger.repository import Ledger
from loyalty.seed import _reward
from tests.conftest import unique_id
from tests.support import temporal as support
from tests.support.cli import loyalty
from tests.support.members import funded_member
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import redemption_request, wait_for
from tests.support.temporal import SagaHarness, running_worker


@pytest.fixture
async def worker(
    temporal_env: WorkflowEnvironment,
    own_database: str,
    own_sessions: sessionmaker[Session],
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
) -> AsyncIterator[SagaHarness]:
    partner_simulator.reset()
    settings = support.test_settings(
        database_url=own_database, partner_url=partner_simulator.url, **support.RELAXED_FRAUD
    )
    async with running_worker(
        temporal_env.client, sessions=own_sessions, settings=settings, executor=activity_executor
    ) as harness:
        yield harness
    partner_simulator.reset()


def member_and_reward(sessions: sessionmaker[Session]) -> tuple[str, str]:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    member = funded_member(sessions, points=5_000, expires_at=expires, ledger=Ledger(sessions))
    reward = unique_id("R")
    with sessions.begin() as session:
        row = _reward(reward, "Test reward", "gift_card", 1_000, "bronze", 3, "giftly", None)
        upsert_reward(session, reward=row)
    return member, reward


async def stranded(
    harness: SagaHarness, partner: PartnerSimulator, member: str, reward: str
) -> WorkflowHandle[Any, Any]:
    """A redemption terminated while its voucher was being issued: its hold is left active."""
    partner.control(issue={"latency_ms": 1_500})
    calls = harness.faults.calls[FULFILL_REWARD]
    handle = await harness.start(redemption_request(member, reward))
    await wait_for(handle, status=RedemptionStatus.RUNNING, step=Step.FULFILL_REWARD)
    while harness.faults.calls[FULFILL_REWARD] == calls:  # the worker has the call in hand
        await asyncio.sleep(0.02)
    await handle.terminate(reason="operator terminated it from the Web UI")
    issued = step_key(handle.id, Step.FULFILL_REWARD)
    for _ in range(400):  # the partner call in flight still lands: a live voucher
        if any(v["idempotency_key"] == issued for v in partner.vouchers()):
            return handle
        await asyncio.sleep(0.05)
    raise AssertionError("the voucher was never issued")


def age(sessions: sessionmaker[Session], workflow_id: str, minutes: int) -> None:
    with sessions.begin() as session:
        session.execute(
            text(
                "UPDATE holds SET created_at = created_at - make_interval(mins => :m)"
                " WHERE reference = :ref"
            ),
            {"m": minutes, "ref": workflow_id},
        )


async def sweep(harness: SagaHarness) -> HoldSweepReport:
    return await harness.client.execute_workflow(
        SWEEP_HOLDS_WORKFLOW,
        HoldSweepRequest(),
        id=unique_id("sweep"),
        task_queue=harness.task_queue,
        result_type=HoldSweepReport,
    )


async def reconcile(env: WorkflowEnvironment, database: str, member: str) -> Any:
    return await loyalty(env, "reconcile", "--member", member, DATABASE_URL=database)


def stock(sessions: sessionmaker[Session], reward: str) -> int | None:
    with sessions() as session:
        row = session.get(Reward, reward)
        assert row is not None
        return row.inventory


async def test_a_terminated_sagas_hold_is_reported_then_voided_and_released(
    temporal_env: WorkflowEnvironment,
    worker: SagaHarness,
    own_database: str,
    own_sessions: sessionmaker[Session],
    partner_simulator: PartnerSimulator,
) -> None:
    member, reward = member_and_reward(own_sessions)
    handle = await stranded(worker, partner_simulator, member, reward)
    ledger = Ledger(own_sessions)
    assert ledger.balance(member_id=member).held == 1_000 - 50  # silver pays 950
    assert ledger.reconcile(member_id=member) == [], "the ledger alone cannot see it"

    found = await reconcile(temporal_env, own_database, member)
    assert found.returncode == 1, found.stderr
    assert f"of {handle.id}: hold_of_closed_workflow projected 950 derived 0" in found.stdout

    young = await sweep(worker)
    assert handle.id not in {h.workflow_id for h in young.holds}, "younger than 30 minutes"
    age(own_sessions, handle.id, minutes=31)
    report = await sweep(worker)

    [swept] = [h for h in report.holds if h.workflow_id == handle.id]
    assert (swept.action, swept.points, swept.units, report.expiry_minutes) == (
        "released",
        950,
        1,
        30,
    )
    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (5_000, 0)
    assert stock(own_sessions, reward) == 3
    [voucher] = [
        v
        for v in partner_simulator.vouchers()
        if v["idempotency_key"] == step_key(handle.id, Step.FULFILL_REWARD)
    ]
    assert voucher["status"] == "voided", "the value was taken back before the points"
    assert (await reconcile(temporal_env, own_database, member)).returncode == 0
    again = await sweep(worker)
    assert handle.id not in {h.workflow_id for h in again.holds}


async def test_a_used_voucher_keeps_the_hold_and_fails_the_run_naming_it(
    worker: SagaHarness, own_sessions: sessionmaker[Session], partner_simulator: PartnerSimulator
) -> None:
    member, reward = member_and_reward(own_sessions)
    handle = await stranded(worker, partner_simulator, member, reward)
    partner_simulator.use(step_key(handle.id, Step.FULFILL_REWARD))
    age(own_sessions, handle.id, minutes=31)

    with pytest.raises(WorkflowFailureError) as failed:
        await sweep(worker)

    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == STRANDED_HOLDS_ERROR
    assert "hold " in cause.message and handle.id in cause.message
    assert "voucher_used" in cause.message
    assert Ledger(own_sessions).balance(member_id=member).held == 950, "kept for an operator"


async def test_an_open_sagas_old_hold_is_left_to_its_saga(
    worker: SagaHarness, own_sessions: sessionmaker[Session], partner_simulator: PartnerSimulator
) -> None:
    member, reward = member_and_reward(own_sessions)
    partner_simulator.control(issue={"latency_ms": 1_500})  # under the 2 s read timeout
    handle = await worker.start(redemption_request(member, reward))
    await wait_for(handle, status=RedemptionStatus.RUNNING, step=Step.FULFILL_REWARD)
    age(own_sessions, handle.id, minutes=120)

    report = await sweep(worker)

    assert handle.id not in {h.workflow_id for h in report.holds}
    state = await handle.result()
    assert state.status == RedemptionStatus.COMPLETED
    assert Ledger(own_sessions).balance(member_id=member).available == 5_000 - 950

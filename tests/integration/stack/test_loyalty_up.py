"""``loyalty up`` as ``make run`` starts it: real processes, free ports, its own database.

A crashed worker is restarted while the others keep running, and the sagas
it had in flight complete; SIGTERM at any moment of start-up leaves no
process and no listening port behind.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from loyalty.contracts.redemption import (
    QUERY_STATE,
    REDEMPTION_WORKFLOW,
    RedemptionRequest,
    RedemptionState,
    RedemptionStatus,
    Step,
)
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.ledger.repository import Ledger
from loyalty.temporal_client import DATA_CONVERTER
from tests.support.databases import scratch_database, scratch_login
from tests.support.members import funded_member
from tests.support.stack import StackUnderTest
from tests.support.temporal import member_workflow_id

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StackUnderTest]:
    with (
        scratch_database("loyalty_up", create=False) as owner,  # `up` creates it
        scratch_login(owner) as app,  # and its login role
    ):
        under_test = StackUnderTest.prepare(tmp_path, app, owner)
        try:
            yield under_test
        finally:
            under_test.kill_leftovers()


@pytest.mark.parametrize(
    "moment",
    [
        "applying migrations",
        "seeding the demo program",
        "==> starting worker",
        "ingesting policies",
    ],
)
def test_sigterm_during_start_up_leaves_no_process_and_no_port(
    stack: StackUnderTest, moment: str
) -> None:
    stack.start()
    stack.wait_for_line(moment)

    code = stack.terminate()

    assert code == 0, stack.output()
    assert "SIGTERM: stopping the stack" in stack.output()
    assert stack.processes() == []
    assert stack.listening() == []


def funded_members(database_url: str, count: int) -> list[str]:
    engine = make_engine(database_url, pool_size=1)
    sessions = make_session_factory(engine)
    a_year = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    ledger = Ledger(sessions)
    members = [
        funded_member(sessions, points=5_000, expires_at=a_year, ledger=ledger)
        for _ in range(count)
    ]
    engine.dispose()
    return members


async def in_flight(client: Client, members: list[str]) -> list[str]:
    """Start one redemption per member and wait until each is at the (slow) partner."""
    ids = []
    for member in members:
        request = RedemptionRequest(
            request_id=uuid.uuid4().hex, member_id=member, reward_id="R-GIFT-10", quantity=1
        )
        handle = await client.start_workflow(
            REDEMPTION_WORKFLOW,
            request,
            id=member_workflow_id(request),
            task_queue="loyalty-redemptions",
        )
        ids.append(handle.id)
    for workflow_id in ids:
        handle = client.get_workflow_handle(workflow_id)
        for _ in range(600):
            state = await handle.query(QUERY_STATE, result_type=RedemptionState)
            if state.current_step == Step.FULFILL_REWARD:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"{workflow_id} never reached the partner: {state}")
    return ids


async def test_a_killed_worker_is_restarted_and_its_sagas_complete(
    stack: StackUnderTest,
) -> None:
    stack.start()
    await asyncio.to_thread(stack.wait_for_line, "stop: Ctrl-C")
    others = {name: stack.service(name).pid for name in ("temporal", "simulator", "loyalty api")}
    members = funded_members(stack.database_url, 3)
    # a slow partner keeps the sagas in flight while the worker dies
    httpx.post(
        f"{stack.partner_url}/control", json={"issue": {"latency_ms": 3000}}
    ).raise_for_status()
    client = await Client.connect(stack.temporal_address, data_converter=DATA_CONVERTER)
    ids = await in_flight(client, members)

    stack.service("loyalty worker").send_signal(signal.SIGKILL)

    await asyncio.to_thread(stack.wait_for_line, "==> worker restarted")
    httpx.post(f"{stack.partner_url}/control", json={"issue": {"latency_ms": 0}}).raise_for_status()
    states = [
        await asyncio.wait_for(
            client.get_workflow_handle(i, result_type=RedemptionState).result(), 240
        )
        for i in ids
    ]
    assert [s.status for s in states] == [RedemptionStatus.COMPLETED] * 3
    assert "!! worker exited with -9" in stack.output()
    assert {name: stack.service(name).pid for name in others} == others  # nobody else restarted
    engine = make_engine(stack.database_url, pool_size=1)
    ledger = Ledger(make_session_factory(engine))
    assert [ledger.balance(member_id=m).available for m in members] == [4_050] * 3
    engine.dispose()
    vouchers = httpx.get(f"{stack.partner_url}/vouchers").json()["vouchers"]
    assert sorted(v["idempotency_key"].split(":")[0] for v in vouchers) == sorted(ids)

    assert await asyncio.to_thread(stack.terminate) == 0
    assert stack.processes() == [] and stack.listening() == []

"""The saga commands as an operator runs them: real processes against a real Temporal server."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.support.temporal import SagaHarness

LOYALTY = Path(sys.executable).with_name("loyalty")


@pytest.fixture(autouse=True)
def _catalog(seeded_catalog: None) -> None:
    """Redemptions need the demo catalog."""


async def loyalty(
    env: WorkflowEnvironment, saga: SagaHarness, database_url: str, *args: str
) -> subprocess.CompletedProcess[str]:
    settings = {
        "DATABASE_URL": database_url,
        "LOYALTY_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "LOYALTY_TASK_QUEUE": saga.task_queue,
        "LOYALTY_LOG_LEVEL": "WARNING",
    }
    return await asyncio.to_thread(
        subprocess.run,
        [str(LOYALTY), *args],
        env={**os.environ, **settings},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_redeem_status_cancel_and_refund_from_the_command_line(
    temporal_env: WorkflowEnvironment,
    saga: SagaHarness,
    database_url: str,
    ledger: Ledger,
    new_member: MemberFactory,
) -> None:
    member = new_member(points=5_000)
    request_id = unique_id("cli")
    cli = lambda *a: loyalty(temporal_env, saga, database_url, *a)  # noqa: E731

    redeemed = await cli(
        "redeem", member, "R-GIFT-10", "--request-id", request_id, "--wait", "--json"
    )
    assert redeemed.returncode == 0, redeemed.stderr
    state = json.loads(redeemed.stdout)
    assert state["status"] == "completed" and state["points"] == 950

    again = await cli("redeem", member, "R-GIFT-10", "--request-id", request_id, "--wait", "--json")
    assert json.loads(again.stdout)["redemption_id"] == state["redemption_id"]
    assert [e.kind for e in ledger.entries(member_id=member)].count("capture") == 1

    status = await cli("status", state["redemption_id"], "--json")
    assert json.loads(status.stdout)["status"] == "completed"

    too_late = await cli("cancel", state["redemption_id"])
    assert too_late.returncode == 1
    assert "too late: the redemption is already completed" in too_late.stderr

    refunded = await cli("refund", state["redemption_id"], "--reason", "member changed mind")
    assert refunded.returncode == 0, refunded.stderr
    assert ledger.balance(member_id=member).available == 5_000


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["status", "redemption-no-such"], 3, "not found"),
        (["cancel", "redemption-no-such"], 3, "not found"),
        (["approve", "redemption-no-such", "--agent", "a1", "--reason", "x"], 2, "reason"),
        (["redeem", "M1", "R-GIFT-10", "--quantity", "0"], 2, "quantity"),
    ],
)
async def test_bad_saga_commands_fail_clearly(
    temporal_env: WorkflowEnvironment,
    saga: SagaHarness,
    database_url: str,
    args: list[str],
    code: int,
    message: str,
) -> None:
    result = await loyalty(temporal_env, saga, database_url, *args)
    assert result.returncode == code, result.stderr  # never 134 (an abort at teardown)
    assert message in result.stderr.lower()
    assert "Traceback" not in result.stderr

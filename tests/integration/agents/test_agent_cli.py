"""``loyalty policies ingest``, ``propose`` and the assisted commands as people run them.

Real processes against the test Temporal server, served by a worker with the
agent activities.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory
from tests.integration.agents.conftest import AssistedFactory

LOYALTY = Path(sys.executable).with_name("loyalty")


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(LOYALTY),
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    return process.returncode or 0, out.decode(), err.decode()


async def test_propose_then_assisted_case_approved_from_the_command_line(
    assisted_factory: AssistedFactory, database_url: str, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=100)
    async with assisted_factory() as harness:
        target = harness.client.service_client.config.target_host
        env = {
            "DATABASE_URL": database_url,
            "LOYALTY_TEMPORAL_ADDRESS": target,
            "LOYALTY_TASK_QUEUE": harness.task_queue,
            "LOYALTY_LOG_LEVEL": "WARNING",
        }
        code, out, err = await run_cli(env, "policies", "ingest", "goodwill-credits.md")
        assert code == 0, err
        assert "0 chunks embedded" in out and "ingested 1 policies" in out  # already stored

        code, out, err = await run_cli(
            env, "propose", member, "--reason", "voucher never arrived", "--json"
        )
        assert code == 0, err
        proposal: dict[str, Any] = json.loads(out)
        assert proposal["verdict"]["outcome"] == "needs_approval"
        assert proposal["proposal"]["points"] == 1_000 and proposal["citations"][0]["text"]

        code, out, err = await run_cli(
            env,
            "assisted",
            member,
            "--reason",
            "voucher never arrived",
            "--agent",
            "agent-7",
            "--json",
        )
        assert code == 0, err
        case_id = json.loads(out)["case_id"]
        refused = await run_cli(
            env, "assisted-approve", case_id, "--agent", "agent-7", "--reason", "mine"
        )
        assert refused[0] == 1 and "requester" in refused[2]
        code, out, err = await run_cli(
            env, "assisted-approve", case_id, "--agent", "lead-3", "--reason", "ticket checked"
        )
        assert code == 0, err
        await harness.client.get_workflow_handle(case_id).result()

    assert [e.delta_available for e in ledger.entries(member_id=member) if e.kind == "adjust"] == [
        1_000
    ]

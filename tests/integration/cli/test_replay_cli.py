"""``loyalty replay``: histories fetched from Temporal replay against today's code.

The nondeterministic history is a real one: an impostor registered under the
ExpirePoints name ran a timer where the real workflow runs an activity, so
replaying its history against the real workflow must fail, by name.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid

from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from loyalty.contracts.maintenance import EXPIRE_POINTS_WORKFLOW, ExpiryRequest, ExpirySummary
from tests.conftest import unique_id
from tests.support.cli import loyalty
from tests.support.temporal import SagaHarness


@workflow.defn(name=EXPIRE_POINTS_WORKFLOW)
class ImpostorExpiry:
    """Same name and payloads as ExpirePoints, different commands: a timer, no activity."""

    @workflow.run
    async def run(self, request: ExpiryRequest) -> ExpirySummary:
        await workflow.sleep(0.01)
        return ExpirySummary(lots_expired=0, points_expired=0, members=0)


async def replay(env: WorkflowEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    return await loyalty(env, "replay", *args)


async def test_replay_names_the_nondeterministic_workflow_and_exits_non_zero(
    temporal_env: WorkflowEnvironment, saga: SagaHarness
) -> None:
    client = temporal_env.client
    nobody = ExpiryRequest(member_id=unique_id("M-none"), requested_by="test")
    genuine = unique_id("replay-genuine")
    await client.execute_workflow(
        EXPIRE_POINTS_WORKFLOW, nobody, id=genuine, task_queue=saga.task_queue
    )
    impostor = unique_id("replay-impostor")
    queue = f"impostor-{uuid.uuid4().hex[:8]}"
    runner = UnsandboxedWorkflowRunner()
    async with Worker(client, task_queue=queue, workflows=[ImpostorExpiry], workflow_runner=runner):
        await client.execute_workflow(EXPIRE_POINTS_WORKFLOW, nobody, id=impostor, task_queue=queue)

    good = await replay(temporal_env, "--workflow-id", genuine)
    assert good.returncode == 0, good.stderr
    assert f"ok      {genuine}" in good.stdout
    bad = await replay(temporal_env, "--workflow-id", impostor)
    assert bad.returncode == 1
    assert f"FAILED  {impostor}" in bad.stderr and "nondeterministic" in bad.stderr.lower()

    query = f'WorkflowId="{genuine}" OR WorkflowId="{impostor}"'
    for _ in range(100):  # visibility lags the close by a moment
        if len([w async for w in client.list_workflows(query)]) == 2:
            break
        await asyncio.sleep(0.1)
    both = await replay(temporal_env, "--query", query)
    assert both.returncode == 1
    assert "replayed 2 histories, 1 nondeterministic" in both.stdout
    assert f"1 nondeterministic: {impostor}" in both.stderr
    assert genuine not in both.stderr


async def test_replay_wants_exactly_one_source(temporal_env: WorkflowEnvironment) -> None:
    neither = await replay(temporal_env)
    both = await replay(temporal_env, "--workflow-id", "x", "--query", "WorkflowId='x'")
    assert (neither.returncode, both.returncode) == (2, 2)
    assert "exactly one of --workflow-id or --query" in neither.stderr
    missing = await replay(temporal_env, "--workflow-id", "no-such-workflow")
    assert missing.returncode == 3 and "not found" in missing.stderr

"""A real worker with the agent activities: the saga harness plus an agent runtime.

The runtime shares the session's ingested embedded Qdrant store and embedder
(the caller owns them), so no test pays for embedding the corpus again.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowHandle

from loyalty.agents.runtime import AgentRuntime
from loyalty.config import Settings
from loyalty.contracts.assisted import (
    ASSISTED_WORKFLOW,
    QUERY_STATE,
    AssistedRequest,
    AssistedState,
    AssistedStatus,
    assisted_workflow_id,
)
from loyalty.worker import build_activities, build_worker, partner_client


@dataclass
class AssistedHarness:
    client: Client
    task_queue: str

    async def start(self, request: AssistedRequest) -> WorkflowHandle[Any, AssistedState]:
        return await self.client.start_workflow(
            ASSISTED_WORKFLOW,
            request,
            id=assisted_workflow_id(request.request_id),
            task_queue=self.task_queue,
            result_type=AssistedState,
        )

    async def run(self, request: AssistedRequest) -> AssistedState:
        return await (await self.start(request)).result()


async def wait_for_status(
    handle: WorkflowHandle[Any, Any], status: AssistedStatus, *, timeout_s: float = 30.0
) -> AssistedState:
    state: AssistedState | None = None
    for _ in range(int(timeout_s / 0.05)):
        state = await handle.query(QUERY_STATE, result_type=AssistedState)
        if state.status == status:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached {status}: {state}")


@asynccontextmanager
async def running_agent_worker(
    client: Client,
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    executor: ThreadPoolExecutor,
    runtime: AgentRuntime,
) -> AsyncIterator[AssistedHarness]:
    task_queue = f"test-agents-{uuid.uuid4().hex[:10]}"
    with partner_client(settings) as partner:
        activities = build_activities(
            settings=settings, sessions=sessions, partner=partner, client=client, agents=runtime
        )
        worker = build_worker(
            client,
            settings=settings,
            task_queue=task_queue,
            activities=activities,
            executor=executor,
        )
        async with worker:
            yield AssistedHarness(client=client, task_queue=task_queue)

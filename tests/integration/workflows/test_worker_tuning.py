"""The worker is built with the slots, pollers and sticky cache its settings name."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import PollerBehaviorSimpleMaximum

from loyalty.config import Settings
from loyalty.worker import build_worker


async def test_the_worker_gets_its_slots_pollers_and_cache_from_settings(
    temporal_env: WorkflowEnvironment, activity_executor: ThreadPoolExecutor
) -> None:
    settings = Settings(
        worker_max_concurrent_workflow_tasks=3,
        worker_max_concurrent_activities=4,
        worker_workflow_task_pollers=2,
        worker_activity_task_pollers=6,
        worker_max_cached_workflows=50,
    )

    worker = build_worker(
        temporal_env.client,
        settings=settings,
        task_queue=f"test-tuning-{uuid.uuid4().hex[:10]}",
        activities=[],
        executor=activity_executor,
    )
    async with worker:  # the SDK accepts them: it polls
        config = worker.config()

    assert config.get("max_concurrent_workflow_tasks") == 3
    assert config.get("max_concurrent_activities") == 4
    assert config.get("workflow_task_poller_behavior") == PollerBehaviorSimpleMaximum(2)
    assert config.get("activity_task_poller_behavior") == PollerBehaviorSimpleMaximum(6)
    assert config.get("max_cached_workflows") == 50

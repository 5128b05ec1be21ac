"""Redemptions through the HTTP API of a local stack: latency from POST to a closed saga.

Each saga is started with ``POST /v1/redemptions`` and polled every
``POLL_S`` until the workflow has closed with a terminal status, so a
latency includes at most one poll interval of waiting; with ``--wait S`` the
POST itself waits (``?wait=S``) and polling is only the fallback. Afterwards the
histories of a sample of sagas give the Temporal tasks each one cost.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.stack import DEVICE, GIFT, LocalStack
from loyalty.temporal_client import DATA_CONVERTER

POLL_S = 0.02
FINAL = {"completed", "rejected", "failed", "cancelled"}


@dataclass
class Run:
    """One measured batch: how many, how fast, and how each ended."""

    name: str
    concurrency: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    ids: list[str] = field(default_factory=list)


async def drive(
    stack: LocalStack,
    *,
    name: str,
    count: int,
    concurrency: int,
    budget_s: float,
    wait_s: float = 0.0,
) -> Run:
    """``count`` redemptions at ``concurrency`` in flight; stop starting after ``budget_s``."""
    run = Run(name, concurrency)
    gate = asyncio.Semaphore(concurrency)
    deadline = time.monotonic() + budget_s
    limits = httpx.Limits(max_connections=concurrency * 2)
    members = stack.members
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30, limits=limits) as http:

        async def one(n: int) -> None:
            async with gate:
                if time.monotonic() > deadline:
                    return
                member = members[n % len(members)]
                status, ms, rid = await _one(http, stack, member, wait_s)
                run.outcomes[status] += 1
                run.ids.append(rid)
                if status == "completed":
                    run.latencies_ms.append(ms)

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        run.seconds = time.perf_counter() - started
    return run


async def _one(
    http: httpx.AsyncClient, stack: LocalStack, member: str, wait_s: float
) -> tuple[str, float, str]:
    headers = stack.customer_headers(member)
    body = {
        "request_id": f"bench-{uuid.uuid4().hex[:12]}",
        "member_id": member,
        "reward_id": GIFT,
        "device_id": DEVICE,
    }
    start = time.perf_counter()
    params = {"wait": wait_s} if wait_s else {}
    answer = await http.post("/v1/redemptions", json=body, headers=headers, params=params)
    answer.raise_for_status()
    rid = answer.json()["redemption_id"]
    if answer.status_code == 200:  # ended within wait_s: the final state, no polling
        return answer.json()["status"], (time.perf_counter() - start) * 1000, rid
    while True:
        state = await http.get(f"/v1/redemptions/{rid}", headers=headers)
        if state.status_code == 200:
            doc = state.json()
            if doc["status"] in FINAL and not doc["live"]:
                return doc["status"], (time.perf_counter() - start) * 1000, rid
        await asyncio.sleep(POLL_S)


_TASKS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: "workflow_tasks",
    EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: "activity_tasks",
    EventType.EVENT_TYPE_MARKER_RECORDED: "markers",
}


async def tasks_per_saga(stack: LocalStack, ids: list[str], sample: int = 20) -> dict[str, float]:
    """Mean workflow tasks, activity tasks, markers (patches, local activities) and events
    per saga, over a sample of histories."""
    client = await Client.connect(stack.stack.temporal_address, data_converter=DATA_CONVERTER)
    counts: Counter[str] = Counter()
    chosen = ids[:sample]
    for workflow_id in chosen:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        counts["events"] += len(history.events)
        for event in history.events:
            if event.event_type in _TASKS:
                counts[_TASKS[event.event_type]] += 1
    return {
        key: counts[key] / max(len(chosen), 1)
        for key in ("workflow_tasks", "activity_tasks", "markers", "events")
    }

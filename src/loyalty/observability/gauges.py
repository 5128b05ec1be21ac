"""Gauges of open work, read from Temporal visibility on a timer.

The workflows publish their status as the ``LoyaltyStatus`` search attribute,
so visibility knows, without any workflow change, how many sagas wait for an
operator (``needs_attention``) and how many cases wait for a human approval
(``awaiting_approval``: fraud reviews and assisted cases). Counts are scoped
to the worker's task queue; every replica of a worker reports the same value,
so alert on ``max``, not ``sum``.

- ``loyalty_sagas_needs_attention{workflow_type,task_queue}``
- ``loyalty_approvals_pending{workflow_type,task_queue}``
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog
from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.service import RPCError

from loyalty.contracts import search
from loyalty.contracts.assisted import ASSISTED_WORKFLOW, AssistedStatus
from loyalty.contracts.redemption import REDEMPTION_WORKFLOW, RedemptionStatus

log = structlog.get_logger(__name__)

NEEDS_ATTENTION = "loyalty_sagas_needs_attention"
APPROVALS_PENDING = "loyalty_approvals_pending"


@dataclass(frozen=True)
class OpenWork:
    gauge: str
    description: str
    status: str
    workflow_types: tuple[str, ...]


OPEN_WORK = (
    OpenWork(
        NEEDS_ATTENTION,
        "Sagas waiting for an operator after a failed compensation",
        RedemptionStatus.NEEDS_ATTENTION.value,
        (REDEMPTION_WORKFLOW,),
    ),
    OpenWork(
        APPROVALS_PENDING,
        "Fraud reviews and assisted cases waiting for a human approval",
        AssistedStatus.AWAITING_APPROVAL.value,
        (REDEMPTION_WORKFLOW, ASSISTED_WORKFLOW),
    ),
)


def open_work_query(task_queue: str, workflow_type: str, status: str) -> str:
    """The visibility query an operator can paste into the Web UI for the same count."""
    return (
        f'TaskQueue="{task_queue}" AND WorkflowType="{workflow_type}" '
        f'AND ExecutionStatus="Running" AND {search.STATUS.name}="{status}"'
    )


class OpenWorkGauges:
    """Set the open-work gauges on ``meter`` from visibility counts."""

    def __init__(self, client: Client, meter: MetricMeter, *, task_queue: str) -> None:
        self._client = client
        self._meter = meter
        self._task_queue = task_queue

    async def refresh(self) -> None:
        for work in OPEN_WORK:
            gauge = self._meter.create_gauge(work.gauge, work.description)
            for workflow_type in work.workflow_types:
                query = open_work_query(self._task_queue, workflow_type, work.status)
                counted = await self._client.count_workflows(query)
                gauge.set(
                    counted.count,
                    {"workflow_type": workflow_type, "task_queue": self._task_queue},
                )

    @contextlib.asynccontextmanager
    async def refreshing(self, every_s: float) -> AsyncIterator[None]:
        """Refresh now and every ``every_s`` seconds while the block runs."""
        task = asyncio.create_task(self._loop(every_s))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self, every_s: float) -> None:
        while True:
            try:
                await self.refresh()
            except RPCError as error:  # Temporal away: keep the last values, try again later
                log.warning("open_work_gauges_unavailable", error=str(error))
            await asyncio.sleep(every_s)

"""The product's scheduled jobs, on Temporal Schedules (no cron, no home-made timer loop).

Every worker calls ``ensure_schedules`` when it starts: a missing schedule is
created, an existing one is brought to the spec below (keeping its paused
state and note, which belong to the operator). So the schedules always match
the deployed code, and starting ten workers creates each schedule once.

Adding a job: write its workflow
and activity like ``workflows/maintenance.py``, register both in ``worker.py``,
then append one ``ScheduledJob`` to ``JOBS``: a stable schedule id, the
workflow name and input from ``contracts/``, a cron spec and a sentence for
``loyalty schedules``. Nothing else changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from loyalty.contracts.base import Contract
from loyalty.contracts.maintenance import (
    EXPIRE_POINTS_WORKFLOW,
    RECONCILE_WORKFLOW,
    SWEEP_HOLDS_WORKFLOW,
    ExpiryRequest,
    HoldSweepRequest,
    ReconcileRequest,
)
from loyalty.contracts.members import REVIEW_TIERS_WORKFLOW, TierReviewRequest


@dataclass(frozen=True)
class ScheduledJob:
    """One schedule: what it starts, when (a cron expression, UTC), and why, in a sentence."""

    schedule_id: str
    workflow: str
    request: Contract
    cron: str
    purpose: str
    run_timeout: timedelta = timedelta(hours=1)

    def schedule(self, task_queue: str) -> Schedule:
        return Schedule(
            action=ScheduleActionStartWorkflow(
                self.workflow,
                self.request,
                id=self.schedule_id,  # Temporal appends each run's time to it
                task_queue=task_queue,
                execution_timeout=self.run_timeout,
            ),
            spec=ScheduleSpec(cron_expressions=[self.cron]),
            # A slow run is never doubled; a run missed while Temporal was down catches
            # up once within the window, not once per missed slot.
            policy=SchedulePolicy(
                overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=30)
            ),
            state=ScheduleState(note=self.purpose),
        )


JOBS: Sequence[ScheduledJob] = (
    ScheduledJob(
        schedule_id="loyalty-points-expiry",
        workflow=EXPIRE_POINTS_WORKFLOW,
        request=ExpiryRequest(),
        cron="30 2 * * *",
        purpose="daily 02:30 UTC: post expiry entries for every lot past its date",
    ),
    ScheduledJob(
        schedule_id="loyalty-ledger-reconciliation",
        workflow=RECONCILE_WORKFLOW,
        request=ReconcileRequest(),
        cron="15 * * * *",
        purpose="hourly at :15: prove every account matches its entries; fails naming accounts",
    ),
    ScheduledJob(
        schedule_id="loyalty-hold-sweeper",
        workflow=SWEEP_HOLDS_WORKFLOW,
        request=HoldSweepRequest(),
        cron="*/5 * * * *",
        purpose="every 5 minutes: void then release expired holds of closed workflows; "
        "fails naming any it must keep",
        run_timeout=timedelta(minutes=30),
    ),
    ScheduledJob(
        schedule_id="loyalty-tier-review",
        workflow=REVIEW_TIERS_WORKFLOW,
        request=TierReviewRequest(),
        cron="45 3 * * *",
        purpose="daily 03:45 UTC: review every member's tier (POL-TIER-001 window and grace); "
        "announce each change",
        run_timeout=timedelta(hours=2),
    ),
)


async def ensure_schedules(
    client: Client, *, task_queue: str, jobs: Sequence[ScheduledJob] = JOBS
) -> list[str]:
    """Create the missing schedules and update the others; returns the ids created."""
    created = []
    for job in jobs:
        schedule = job.schedule(task_queue)
        try:
            await client.create_schedule(job.schedule_id, schedule)
            created.append(job.schedule_id)
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(job.schedule_id).update(_keeping_state(schedule))
    return created


def _keeping_state(schedule: Schedule) -> Callable[[ScheduleUpdateInput], ScheduleUpdate]:
    """The deployed spec, with the paused flag and note an operator may have set."""

    def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
        operator_state = current.description.schedule.state
        return ScheduleUpdate(schedule=dataclasses.replace(schedule, state=operator_state))

    return update


@dataclass(frozen=True)
class ScheduleView:
    """What ``loyalty schedules`` shows for one job."""

    schedule_id: str
    workflow: str
    cron: str
    purpose: str
    exists: bool
    paused: bool = False
    last_run_at: datetime | None = None
    last_workflow_id: str | None = None
    last_status: str | None = None
    next_run_at: datetime | None = None


async def describe_schedules(
    client: Client, jobs: Sequence[ScheduledJob] = JOBS
) -> list[ScheduleView]:
    """Each job with its last run (and how it ended) and its next run."""
    views = []
    for job in jobs:
        try:
            description = await client.get_schedule_handle(job.schedule_id).describe()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            views.append(_unscheduled(job))
            continue
        views.append(await _described(client, job, description))
    return views


async def _described(
    client: Client, job: ScheduledJob, description: ScheduleDescription
) -> ScheduleView:
    info = description.info
    last = info.recent_actions[-1] if info.recent_actions else None
    workflow_id = status = None
    if last is not None and isinstance(last.action, ScheduleActionExecutionStartWorkflow):
        workflow_id = last.action.workflow_id
        run = client.get_workflow_handle(workflow_id, run_id=last.action.first_execution_run_id)
        run_status = (await run.describe()).status
        status = run_status.name.lower() if run_status is not None else None
    return dataclasses.replace(
        _unscheduled(job),
        exists=True,
        paused=description.schedule.state.paused,
        last_run_at=last.started_at if last else None,
        last_workflow_id=workflow_id,
        last_status=status,
        next_run_at=info.next_action_times[0] if info.next_action_times else None,
    )


def _unscheduled(job: ScheduledJob) -> ScheduleView:
    return ScheduleView(
        schedule_id=job.schedule_id,
        workflow=job.workflow,
        cron=job.cron,
        purpose=job.purpose,
        exists=False,
    )

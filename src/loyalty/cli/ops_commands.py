"""Operators' commands around Temporal: scheduled jobs, replaying histories, worker health."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import typer
from temporalio.client import Client, ScheduleOverlapPolicy, WorkflowHistory

from loyalty.cli import context
from loyalty.cli.output import EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_REFUSED, emit, fail
from loyalty.cli.workflow_commands import JsonOption, exits_without_teardown, run
from loyalty.health import HealthFile
from loyalty.schedules import JOBS, ScheduleView, describe_schedules

app = typer.Typer()


def _when(view: ScheduleView) -> str:
    if not view.exists:
        return "not created yet (a worker creates it when it starts)"
    last = "never run"
    if view.last_run_at:
        last = f"last run {view.last_run_at:%Y-%m-%d %H:%M:%S} UTC {view.last_status}"
        last += f" ({view.last_workflow_id})"
    upcoming = (
        f"next {view.next_run_at:%Y-%m-%d %H:%M:%S} UTC" if view.next_run_at else "no next run"
    )
    return f"{last}; {'PAUSED' if view.paused else upcoming}"


def _schedules_text(views: list[ScheduleView]) -> str:
    return "\n".join(
        f"{v.schedule_id}  [{v.cron}] {v.workflow}: {v.purpose}\n    {_when(v)}" for v in views
    )


@app.command("worker-health")
def worker_health_command(
    file: Annotated[
        Path | None, typer.Option("--file", help="Default: LOYALTY_WORKER_HEALTH_FILE.")
    ] = None,
) -> None:
    """Exit 0 when the worker's health file is fresh (for a container healthcheck), else 1."""
    path = file or context.settings().worker_health_file
    if path is None:
        raise fail("no health file: pass --file or set LOYALTY_WORKER_HEALTH_FILE", EXIT_BAD_INPUT)
    if not HealthFile(path).fresh():
        raise fail(f"worker not healthy: {path} is missing or stale", EXIT_REFUSED)
    print(f"worker healthy ({path})")


@app.command("schedules")
@exits_without_teardown
def schedules_command(as_json: JsonOption = False) -> None:
    """The scheduled jobs with their last run (and how it ended) and their next run."""
    emit(run(describe_schedules, "schedules"), as_json=as_json, text=_schedules_text)


@app.command("trigger-schedule")
@exits_without_teardown
def trigger_command(schedule_id: Annotated[str, typer.Argument(help="A schedule id.")]) -> None:
    """Run a scheduled job now (in addition to its regular runs)."""
    if schedule_id not in {job.schedule_id for job in JOBS}:
        known = ", ".join(job.schedule_id for job in JOBS)
        raise fail(
            f"schedule_id: unknown schedule {schedule_id!r} (one of {known})", EXIT_NOT_FOUND
        )

    async def job(client: Client) -> None:
        handle = client.get_schedule_handle(schedule_id)
        await handle.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)

    run(job, schedule_id)
    print(f"triggered {schedule_id}; see `loyalty schedules` for its outcome")


@app.command("replay")
@exits_without_teardown
def replay_command(
    workflow_id: Annotated[str | None, typer.Option(help="Replay this workflow's history.")] = None,
    query: Annotated[
        str | None, typer.Option(help="Replay every workflow this visibility query lists.")
    ] = None,
) -> None:
    """Replay histories from Temporal against this code; exit 1 naming any nondeterministic one."""
    if (workflow_id is None) == (query is None):
        raise fail("give exactly one of --workflow-id or --query", EXIT_BAD_INPUT)
    failed = run(lambda client: _replay(client, workflow_id, query), workflow_id or "query")
    if failed:
        raise fail(f"{len(failed)} nondeterministic: {', '.join(failed)}", EXIT_REFUSED)


async def _replay(client: Client, workflow_id: str | None, query: str | None) -> list[str]:
    """Replay each history, print one line per workflow as it goes; returns the failed ids."""
    from loyalty.worker import make_replayer  # the worker's workflows: heavy, import on use

    histories: AsyncIterator[WorkflowHistory]
    if workflow_id is not None:
        histories = _one(client, workflow_id)
    else:
        histories = client.list_workflows(query).map_histories()
    failed, count = [], 0
    async with make_replayer().workflow_replay_iterator(histories) as results:
        async for result in results:
            count += 1
            replayed = result.history.workflow_id
            if result.replay_failure is None:
                print(f"ok      {replayed}", flush=True)
            else:
                failed.append(replayed)
                print(f"FAILED  {replayed}: {result.replay_failure}", file=sys.stderr, flush=True)
    print(f"replayed {count} histories, {len(failed)} nondeterministic", flush=True)
    return failed


async def _one(client: Client, workflow_id: str) -> AsyncIterator[WorkflowHistory]:
    yield await client.get_workflow_handle(workflow_id).fetch_history()

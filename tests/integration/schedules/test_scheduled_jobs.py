"""Scheduled jobs on Temporal Schedules (dev server: the time-skipping server has none).

The jobs run against a database of their own: reconciliation checks every
account, and one test here breaks an account on purpose. Triggered runs use the
real jobs with a yearly cron, so no regular run can interleave with the test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, ScheduleOverlapPolicy, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from loyalty.contracts.maintenance import DISCREPANCY_ERROR, ExpirySummary
from loyalty.contracts.members import TierReviewReport
from loyalty.ledger.models import AuditRecord, Member
from loyalty.ledger.repository import Ledger
from loyalty.schedules import JOBS, ScheduledJob, describe_schedules, ensure_schedules
from tests.conftest import unique_id
from tests.support import temporal as support
from tests.support.cli import loyalty
from tests.support.expiry import send_notices_on_time
from tests.support.members import funded_member
from tests.support.partner_simulator import PartnerSimulator
from tests.support.temporal import SagaHarness, running_worker

EXPIRY, RECONCILIATION, SWEEPER, TIER_REVIEW = JOBS


@pytest.fixture
async def worker(
    temporal_env: WorkflowEnvironment,
    own_database: str,
    own_sessions: sessionmaker[Session],
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
) -> AsyncIterator[SagaHarness]:
    settings = support.test_settings(database_url=own_database, partner_url=partner_simulator.url)
    async with running_worker(
        temporal_env.client, sessions=own_sessions, settings=settings, executor=activity_executor
    ) as harness:
        yield harness


@pytest.fixture
async def schedules(temporal_env: WorkflowEnvironment) -> AsyncIterator[list[str]]:
    """Schedule ids a test created; deleted afterwards so no other test sees them."""
    created: list[str] = []
    yield created
    for schedule_id in created:
        await temporal_env.client.get_schedule_handle(schedule_id).delete()


def quiet(job: ScheduledJob) -> ScheduledJob:
    """The real job under a test id, due once a year: only the test's trigger runs it."""
    return dataclasses.replace(job, schedule_id=unique_id(job.schedule_id), cron="0 0 1 1 *")


async def triggered_run(
    client: Client, schedule_id: str, result_type: type | None = None
) -> WorkflowHandle[Any, Any]:
    """Trigger one run now and return the handle of the workflow it started."""
    handle = client.get_schedule_handle(schedule_id)
    before = (await handle.describe()).info.num_actions
    await handle.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
    for _ in range(200):
        info = (await handle.describe()).info
        if info.num_actions > before:
            started = info.recent_actions[-1].action
            workflow_id = started.workflow_id  # type: ignore[attr-defined]
            return client.get_workflow_handle(workflow_id, result_type=result_type)
        await asyncio.sleep(0.1)
    raise AssertionError(f"schedule {schedule_id} did not start a run")


def member_with_expired_points(sessions: sessionmaker[Session], points: int) -> str:
    now = dt.datetime.now(dt.UTC)
    earlier = Ledger(sessions, clock=lambda: now - dt.timedelta(days=400))
    yesterday = now - dt.timedelta(days=1)
    member = funded_member(sessions, points=points, expires_at=yesterday, ledger=earlier)
    send_notices_on_time(earlier, member_id=member, expires_at=yesterday)
    return member


async def test_a_triggered_expiry_run_posts_the_expiry_entries(
    temporal_env: WorkflowEnvironment,
    worker: SagaHarness,
    own_sessions: sessionmaker[Session],
    schedules: list[str],
) -> None:
    client = temporal_env.client
    member = member_with_expired_points(own_sessions, 300)
    ledger = Ledger(own_sessions)
    assert ledger.balance(member_id=member).available == 0  # reads never count expired points
    job = quiet(EXPIRY)
    assert await ensure_schedules(client, task_queue=worker.task_queue, jobs=[job]) == [
        job.schedule_id
    ]
    schedules.append(job.schedule_id)

    run = await triggered_run(client, job.schedule_id, ExpirySummary)
    summary = await run.result()

    assert summary.points_expired >= 300 and summary.lots_expired >= 1
    entries = ledger.entries(member_id=member)
    assert [(e.kind, e.delta_available) for e in entries] == [("expire", -300), ("accrue", 300)]
    assert ledger.reconcile(member_id=member) == []
    again = await (await triggered_run(client, job.schedule_id, ExpirySummary)).result()
    assert again.points_expired == 0  # idempotent: nothing left to expire
    assert len(ledger.entries(member_id=member)) == 2


async def test_the_daily_tier_review_upgrades_whoever_qualifies_and_audits_it(
    temporal_env: WorkflowEnvironment,
    worker: SagaHarness,
    own_sessions: sessionmaker[Session],
    schedules: list[str],
) -> None:
    client = temporal_env.client
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    member = funded_member(own_sessions, points=45_000, expires_at=far, ledger=Ledger(own_sessions))
    job = quiet(TIER_REVIEW)
    await ensure_schedules(client, task_queue=worker.task_queue, jobs=[job])
    schedules.append(job.schedule_id)

    report = await (await triggered_run(client, job.schedule_id, TierReviewReport)).result()
    again = await (await triggered_run(client, job.schedule_id, TierReviewReport)).result()

    mine = [r for r in report.reviews if r.member_id == member]
    assert [(r.change, r.before, r.after) for r in mine] == [("upgrade", "silver", "gold")]
    assert report.reviewed >= 1
    assert [r for r in again.reviews if r.member_id == member] == []  # the same day: settled
    with own_sessions() as session:
        assert session.get(Member, member).tier == "gold"  # type: ignore[union-attr]
        actions = session.scalars(
            select(AuditRecord.action).where(AuditRecord.target == member)
        ).all()
    assert actions == ["member.tier_review.upgrade"]


async def test_a_reconciliation_run_fails_naming_the_account_that_differs(
    temporal_env: WorkflowEnvironment,
    worker: SagaHarness,
    own_sessions: sessionmaker[Session],
    schedules: list[str],
) -> None:
    client = temporal_env.client
    member = member_with_expired_points(own_sessions, 100)
    job = quiet(RECONCILIATION)
    await ensure_schedules(client, task_queue=worker.task_queue, jobs=[job])
    schedules.append(job.schedule_id)
    clean = await (await triggered_run(client, job.schedule_id)).result()
    assert clean["discrepancies"] == []

    with own_sessions.begin() as session:  # a projection that no entry explains
        session.execute(
            text("UPDATE accounts SET available = available + 7 WHERE member_id = :m"),
            {"m": member},
        )
    run = await triggered_run(client, job.schedule_id)
    with pytest.raises(WorkflowFailureError) as failed:
        await run.result()

    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == DISCREPANCY_ERROR
    assert cause.message.startswith("ledger differs in 1 account: ")
    # the 100 expired points still count until expiry runs; the 7 are unexplained
    assert f"{member} available_vs_entries projected 107 derived 100" in cause.message
    [view] = await describe_schedules(client, jobs=[job])
    assert view.last_status == "failed" and view.last_workflow_id == run.id


async def test_workers_create_the_schedules_once_and_keep_an_operators_pause(
    temporal_env: WorkflowEnvironment, schedules: list[str]
) -> None:
    client = temporal_env.client
    jobs: Sequence[ScheduledJob] = [
        dataclasses.replace(job, schedule_id=unique_id(job.schedule_id)) for job in JOBS
    ]
    schedules.extend(job.schedule_id for job in jobs)

    assert await ensure_schedules(client, task_queue="q1", jobs=jobs) == [
        job.schedule_id for job in jobs
    ]
    await client.get_schedule_handle(jobs[0].schedule_id).pause(note="ledger maintenance")
    assert await ensure_schedules(client, task_queue="q2", jobs=jobs) == []

    expiry, reconciliation, sweeper, tiers = await describe_schedules(client, jobs=jobs)
    assert expiry.exists and expiry.paused and expiry.last_run_at is None
    assert reconciliation.exists and not reconciliation.paused
    assert sweeper.exists and sweeper.cron == "*/5 * * * *"
    assert tiers.exists and tiers.cron == "45 3 * * *"
    now = dt.datetime.now(dt.UTC)
    assert reconciliation.next_run_at is not None
    assert now < reconciliation.next_run_at <= now + dt.timedelta(hours=1)
    described = await client.get_schedule_handle(jobs[1].schedule_id).describe()
    assert described.schedule.action.task_queue == "q2"  # type: ignore[attr-defined]


async def test_loyalty_schedules_lists_each_job_with_its_last_and_next_run(
    temporal_env: WorkflowEnvironment, worker: SagaHarness, schedules: list[str]
) -> None:
    await ensure_schedules(temporal_env.client, task_queue=worker.task_queue)
    schedules.extend(job.schedule_id for job in JOBS)
    run = await triggered_run(temporal_env.client, EXPIRY.schedule_id)
    await run.result()

    listed = await loyalty(temporal_env, "schedules", "--json")
    assert listed.returncode == 0, listed.stderr
    views = {v["schedule_id"]: v for v in json.loads(listed.stdout)}
    assert set(views) == {job.schedule_id for job in JOBS}
    assert views[EXPIRY.schedule_id]["last_status"] == "completed"
    assert views[EXPIRY.schedule_id]["last_workflow_id"] == run.id
    assert views[RECONCILIATION.schedule_id]["last_run_at"] is None
    assert all(v["next_run_at"] for v in views.values())
    text_output = await loyalty(temporal_env, "schedules")
    assert f"{EXPIRY.schedule_id}  [30 2 * * *]" in text_output.stdout
    assert "completed" in text_output.stdout and "next " in text_output.stdout

    unknown = await loyalty(temporal_env, "trigger-schedule", "no-such-schedule")
    assert unknown.returncode == 3 and "unknown schedule" in unknown.stderr

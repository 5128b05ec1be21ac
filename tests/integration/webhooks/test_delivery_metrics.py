"""Webhook deliveries by result on the worker's metrics endpoint: an error, then delivered."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from loyalty.webhooks import subscriptions
from tests.conftest import MemberFactory, unique_id
from tests.integration.webhooks.conftest import Receiver
from tests.support import temporal as support
from tests.support.metrics import eventually_scraped, metered_worker
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import redemption_request


async def test_a_refused_then_accepted_delivery_counts_one_error_and_one_delivery(
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    seeded_catalog: None,
    receiver: Receiver,
    new_member: MemberFactory,
) -> None:
    with sessions.begin() as session:
        subscription = subscriptions.create(
            session,
            url=receiver.url,
            events=["redemption.completed"],
            description=unique_id("metrics-test"),
            created_by="ops-1",
        ).id
    receiver.fail_next = 1
    settings = support.test_settings(
        database_url=database_url, partner_url=partner_simulator.url, **support.RELAXED_FRAUD
    )
    try:
        async with metered_worker(
            temporal_env, sessions=sessions, settings=settings, executor=activity_executor
        ) as (saga, metered):
            await saga.redeem(redemption_request(new_member(points=5_000)))
            deliveries = "loyalty_webhook_deliveries_total"
            queue = {"task_queue": saga.task_queue}
            scraped = await eventually_scraped(
                metered.url, lambda s: s.value(deliveries, result="delivered", **queue) == 1
            )
    finally:
        with sessions.begin() as session:
            subscriptions.deactivate(session, subscription_id=subscription)

    assert scraped.value(deliveries, result="error", **queue) == 1
    assert len(receiver.events("redemption.completed")) == 1

"""Webhook deliveries by result on the worker's metrics endpoint: an error, then delivered."""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from loyalty.webhooks import subscriptions
from loyalty.webhooks.secrets import SecretBox
from tests.conftest import MemberFactory, unique_id
from tests.integration.webhooks.conftest import Receiver
from tests.support.metrics import MeteredClient, eventually_scraped
from tests.support.redemptions import redemption_request
from tests.support.temporal import TEST_SECRETS, SagaHarness


async def test_a_refused_then_accepted_delivery_counts_one_error_and_one_delivery(
    metered: tuple[SagaHarness, MeteredClient],
    sessions: sessionmaker[Session],
    receiver: Receiver,
    new_member: MemberFactory,
) -> None:
    saga, endpoint = metered
    with sessions.begin() as session:
        row, _ = subscriptions.create(
            session,
            SecretBox(SecretStr(TEST_SECRETS["webhook_secret"])),
            url=receiver.url,
            events=["redemption.completed"],
            description=unique_id("metrics-test"),
            created_by="ops-1",
        )
        subscription = row.id
    receiver.fail_next = 1
    deliveries = "loyalty_webhook_deliveries_total"
    queue = {"task_queue": saga.task_queue}
    try:
        await saga.redeem(redemption_request(new_member(points=5_000)))
        scraped = await eventually_scraped(
            endpoint.url, lambda s: s.value(deliveries, result="delivered", **queue) == 1
        )
    finally:
        with sessions.begin() as session:
            subscriptions.deactivate(session, subscription_id=subscription)

    assert scraped.value(deliveries, result="error", **queue) == 1
    assert len(receiver.events("redemption.completed")) == 1

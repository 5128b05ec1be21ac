"""Alerting hooks: a saga parked in ``needs_attention`` raises one webhook event and one metric.

Real Temporal (dev server), PostgreSQL and partner simulator: the capture
fails after the voucher is issued and the partner refuses the void for good,
so the unwind stops and the saga waits for an operator. Subscribers of
``redemption.needs_attention`` hear of it once per saga, and
``loyalty_alerts_total{kind="needs_attention"}`` counts it once, even when an
operator's retry fails again and the saga parks a second time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowHandle

from loyalty.contracts import redemption as act
from loyalty.contracts.redemption import (
    QUERY_STATE,
    UPDATE_RESOLVE,
    UPDATE_RETRY_COMPENSATIONS,
    OperatorAction,
    RedemptionState,
    RedemptionStatus,
    Step,
    UpdateResult,
)
from loyalty.webhooks import subscriptions
from loyalty.webhooks.secrets import SecretBox
from tests.conftest import MemberFactory, unique_id
from tests.integration.webhooks.conftest import Receiver
from tests.support.metrics import MeteredClient, eventually_scraped
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import redemption_request, wait_for_status
from tests.support.temporal import TEST_SECRETS, SagaHarness

NEEDS_ATTENTION = "redemption.needs_attention"
ALERTS = "loyalty_alerts_total"


def subscribe(sessions: sessionmaker[Session], url: str, event: str) -> str:
    with sessions.begin() as session:
        row, _ = subscriptions.create(
            session,
            SecretBox(SecretStr(TEST_SECRETS["webhook_secret"])),
            url=url,
            events=[event],
            description=unique_id("alerts-test"),
            created_by="ops-1",
        )
        return row.id


async def parked_again(handle: WorkflowHandle[Any, RedemptionState]) -> None:
    """Until the retried void has failed a second time (the saga waits for an operator again)."""
    async with asyncio.timeout(20):
        while True:
            state = await handle.query(QUERY_STATE, result_type=RedemptionState)
            failed = [
                s for s in state.steps if s.step == Step.VOID_FULFILLMENT and s.status == "failed"
            ]
            if len(failed) == 2:
                return
            await asyncio.sleep(0.05)


async def test_a_parked_saga_alerts_subscribers_and_the_metric_once(
    metered: tuple[SagaHarness, MeteredClient],
    sessions: sessionmaker[Session],
    receiver: Receiver,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    saga, endpoint = metered
    queue = {"task_queue": saga.task_queue}
    subscription = subscribe(sessions, receiver.url, NEEDS_ATTENTION)
    saga.faults.fail(act.CAPTURE_POINTS)  # the voucher is issued, then capture fails ...
    partner_simulator.control(void={"fail_permanently": True})  # ... and so does its void
    try:
        handle = await saga.start(redemption_request(new_member(points=5_000)))
        parked = await wait_for_status(handle, RedemptionStatus.NEEDS_ATTENTION)
        scraped = await eventually_scraped(
            endpoint.url, lambda s: len(receiver.events(NEEDS_ATTENTION)) == 1
        )
        assert scraped.value(ALERTS, kind="needs_attention", **queue) == 1

        # The retry fails again and the saga parks again: still one alert for this saga.
        await handle.execute_update(
            UPDATE_RETRY_COMPENSATIONS,
            OperatorAction(operator_id="ops-1", reason="try the void once more"),
            result_type=UpdateResult,
        )
        await parked_again(handle)
        await handle.execute_update(
            UPDATE_RESOLVE,
            OperatorAction(operator_id="ops-1", reason="voided by hand"),
            result_type=UpdateResult,
        )
        final = await handle.result()
    finally:
        partner_simulator.control(void={"fail_permanently": False})
        with sessions.begin() as session:
            subscriptions.deactivate(session, subscription_id=subscription)

    assert final.status == RedemptionStatus.FAILED
    scraped = await eventually_scraped(
        endpoint.url, lambda s: s.value("loyalty_redemptions_finished_total", **queue) == 1
    )
    assert scraped.value(ALERTS, kind="needs_attention", **queue) == 1
    [got] = receiver.events(NEEDS_ATTENTION)
    event = got.event
    assert event["id"] == f"{parked.redemption_id}:{NEEDS_ATTENTION}"
    assert got.headers["webhook-id"] == event["id"]
    data = event["data"]
    assert data["redemption_id"] == parked.redemption_id
    assert data["member_id"] == parked.member_id
    assert data["status"] == "needs_attention"
    assert data["failed_compensations"] == ["void_fulfillment", "release_points"]
    assert data["failures"][0]["step"] == "void_fulfillment"
    assert data["failures"][0]["reason"]
    assert "voucher_code" not in data

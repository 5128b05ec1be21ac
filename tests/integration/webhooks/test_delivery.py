"""Signed, at-least-once webhook delivery of redemption events, on a real worker.

Receivers listen on loopback, so these apps run with the development setting
that allows local receivers; what production refuses is proven beside it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook, WebhookVerificationError
from temporalio.api.enums.v1 import EventType as HistoryEvent

from loyalty.activities.webhooks import WebhookActivities
from loyalty.contracts.webhooks import LIST_WEBHOOK_SUBSCRIBERS, WebhookDelivery, WebhookEvent
from loyalty.webhooks import subscriptions
from loyalty.webhooks.publisher import publish
from loyalty.webhooks.secrets import SecretBox
from tests.conftest import MemberFactory, unique_id
from tests.integration.webhooks.conftest import Received, Receiver
from tests.support.api import FINAL, ApiFactory, ApiHarness, joined_today, review_body
from tests.support.dns import PUBLIC_ADDRESS, FakeDns


@pytest.fixture
async def api(api_factory: ApiFactory) -> ApiHarness:
    """The app and worker with local receivers allowed (the development setting)."""
    return await api_factory(webhook_allow_private_targets=True)


Subscribe = Callable[..., Any]


@pytest.fixture
async def subscribe(api: ApiHarness) -> AsyncIterator[Subscribe]:
    """Subscribe a URL; every subscription is removed after the test (they are global)."""
    made: list[str] = []

    async def make(url: str, **body: Any) -> dict[str, Any]:
        response = await api.http.post(
            "/v1/webhooks", json={"url": url, **body}, headers=api.operator()
        )
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
        created: dict[str, Any] = response.json()
        return created

    yield make
    for subscription_id in made:
        await api.http.delete(f"/v1/webhooks/{subscription_id}", headers=api.operator())


async def eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition never became true")
        await asyncio.sleep(0.2)


def verifies(secret: str, received: Received) -> bool:
    try:
        Webhook(secret).verify(received.body, received.headers)
    except WebhookVerificationError:
        return False
    return received.headers["webhook-id"] == received.event["id"]


async def delivery_children(api: ApiHarness, workflow_id: str) -> list[str]:
    """The WebhookDelivery child workflow ids a workflow's history started."""
    history = await api.saga.client.get_workflow_handle(workflow_id).fetch_history()
    started = HistoryEvent.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
    return [
        e.start_child_workflow_execution_initiated_event_attributes.workflow_id
        for e in history.events
        if e.event_type == started
    ]


async def completed_redemption(api: ApiHarness, new_member: MemberFactory) -> str:
    member = new_member(points=5_000)
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"}
    redemption_id = str((await api.redeem(body, api.customer(member))).json()["redemption_id"])
    await api.wait_for(redemption_id, FINAL, closed=True)
    return redemption_id


async def test_each_subscriber_verifies_with_its_own_secret_only(
    api: ApiHarness,
    receiver: Receiver,
    other_receiver: Receiver,
    subscribe: Subscribe,
    new_member: MemberFactory,
    sessions: sessionmaker[Session],
) -> None:
    mine = await subscribe(receiver.url, events=["redemption.completed"])
    theirs = await subscribe(other_receiver.url, events=["redemption.completed"])
    redemption_id = await completed_redemption(api, new_member)
    await eventually(lambda: len(receiver.events("redemption.completed")) == 1)
    await eventually(lambda: len(other_receiver.events("redemption.completed")) == 1)

    [got] = receiver.events("redemption.completed")
    [their_copy] = other_receiver.events("redemption.completed")
    assert verifies(mine["secret"], got) and verifies(theirs["secret"], their_copy)
    assert not verifies(theirs["secret"], got)  # no subscriber can forge another's events
    event = WebhookEvent.model_validate(got.event)
    assert event.id == f"{redemption_id}:redemption.completed"
    assert "voucher_code" not in event.data and event.data["requested_by"]

    def records() -> list[tuple[str, int]]:
        with sessions() as session:
            return [
                (d.status, d.attempts)
                for d in subscriptions.deliveries_for_event(session, event_id=event.id)
                if d.subscription_id in (mine["id"], theirs["id"])
            ]

    # Both deliveries closed (their records are written last), then a repeat changes nothing.
    await eventually(lambda: records() == [("delivered", 1)] * 2)
    repeat = await publish(api.saga.client, sessions, event, task_queue=api.saga.task_queue)
    assert repeat.deliveries_started == 0  # a repeated fan-out joins the deliveries made
    assert records() == [("delivered", 1)] * 2


async def test_the_fan_out_is_part_of_the_workflow_history(
    api: ApiHarness, receiver: Receiver, subscribe: Subscribe, new_member: MemberFactory
) -> None:
    subscription = await subscribe(receiver.url, events=["redemption.completed"])
    api.saga.faults.lose_completion(LIST_WEBHOOK_SUBSCRIBERS, times=2)

    redemption_id = await completed_redemption(api, new_member)
    await eventually(lambda: len(receiver.events("redemption.completed")) == 1)

    children = await delivery_children(api, redemption_id)
    assert f"webhook-{redemption_id}:redemption.completed-{subscription['id']}" in children
    assert api.saga.faults.calls[LIST_WEBHOOK_SUBSCRIBERS] >= 3


async def test_a_receiver_that_fails_for_a_while_still_gets_the_event(
    api: ApiHarness,
    receiver: Receiver,
    subscribe: Subscribe,
    new_member: MemberFactory,
    sessions: sessionmaker[Session],
) -> None:
    receiver.fail_next = 3
    subscription = await subscribe(receiver.url)
    member = new_member(points=5_000, joined_on=joined_today())
    started = await api.redeem(review_body(member, unique_id("req")), api.customer(member))
    redemption_id = started.json()["redemption_id"]
    await api.wait_for(redemption_id, {"awaiting_approval"})

    await eventually(lambda: len(receiver.events("redemption.awaiting_approval")) == 1)

    assert receiver.refused == 3
    assert all(verifies(subscription["secret"], r) for r in receiver.accepted)

    def delivery_row() -> tuple[str, int, int | None]:
        with sessions() as session:
            deliveries = subscriptions.deliveries_for_event(
                session, event_id=f"{redemption_id}:redemption.awaiting_approval"
            )
        [delivery] = [d for d in deliveries if d.subscription_id == subscription["id"]]
        return delivery.status, delivery.attempts, delivery.last_status_code

    # The receiver holds the event as soon as it answers 204; the delivery row is written
    # after that answer comes back, so wait for it rather than racing it.
    await eventually(lambda: delivery_row()[0] == "delivered")
    assert delivery_row() == ("delivered", 4, 204)
    await api.http.post(
        f"/v1/redemptions/{redemption_id}/reject",
        json={"reason": "no thanks"},
        headers=api.support(),
    )
    await eventually(lambda: len(receiver.events("redemption.failed")) == 1)


async def test_refund_events_are_delivered_from_the_refund_history(
    api: ApiHarness, receiver: Receiver, subscribe: Subscribe, new_member: MemberFactory
) -> None:
    subscription = await subscribe(receiver.url, events=["redemption.refunded"])
    redemption_id = await completed_redemption(api, new_member)

    refund = await api.http.post(
        f"/v1/redemptions/{redemption_id}/refund",
        json={"request_id": "r-1", "reason": "goodwill"},
        headers=api.support(),
    )
    await eventually(lambda: len(receiver.events("redemption.refunded")) == 1)

    [event] = receiver.events("redemption.refunded")
    assert event.event["data"]["refund_id"] == refund.json()["refund_id"]
    assert event.event["data"]["points_refunded"] == 475  # R-COFFEE: 500 list, silver pays 95 %
    assert verifies(subscription["secret"], event)
    assert await delivery_children(api, refund.json()["refund_id"])


async def test_no_delivery_starts_after_unsubscribing(
    api: ApiHarness, receiver: Receiver, subscribe: Subscribe, new_member: MemberFactory
) -> None:
    subscription = await subscribe(receiver.url, events=["redemption.completed"])
    deleted = await api.http.delete(f"/v1/webhooks/{subscription['id']}", headers=api.operator())

    redemption_id = await completed_redemption(api, new_member)

    assert deleted.status_code == 204
    children = await delivery_children(api, redemption_id)
    assert not [c for c in children if c.endswith(subscription["id"])]


async def test_during_a_rotation_both_secrets_sign_until_the_overlap_ends(
    api: ApiHarness, receiver: Receiver, subscribe: Subscribe, new_member: MemberFactory
) -> None:
    subscription = await subscribe(receiver.url, events=["redemption.completed"])
    rotated = await api.http.post(
        f"/v1/webhooks/{subscription['id']}/rotate-secret", headers=api.operator()
    )

    await completed_redemption(api, new_member)
    await eventually(lambda: len(receiver.events("redemption.completed")) == 1)

    [got] = receiver.events("redemption.completed")
    assert verifies(rotated.json()["secret"], got)
    assert verifies(subscription["secret"], got)  # receivers not yet switched still verify
    assert len(got.headers["webhook-signature"].split(" ")) == 2


async def test_a_host_that_resolves_inside_at_delivery_is_refused(
    api: ApiHarness, subscribe: Subscribe, sessions: sessionmaker[Session]
) -> None:
    api.dns.point("rebind.example", PUBLIC_ADDRESS)
    subscription = await subscribe("https://rebind.example/hooks")
    worker_dns = FakeDns({"rebind.example": [PUBLIC_ADDRESS, "127.0.0.1"]})  # then rebinds
    activities = WebhookActivities(
        sessions=sessions, box=SecretBox(api.settings.webhook_secret), resolver=worker_dns
    )
    event = WebhookEvent(
        id=unique_id("evt"),
        type="redemption.completed",
        created_at=dt.datetime.now(dt.UTC),
        data={},
    )

    result = await asyncio.to_thread(
        activities.deliver, WebhookDelivery(subscription_id=subscription["id"], event=event)
    )

    assert not result.delivered and result.detail.startswith("refused")
    assert "127.0.0.1" in result.detail and worker_dns.lookups == ["rebind.example"]
    with sessions() as session:
        [record] = subscriptions.deliveries_for_event(session, event_id=event.id)
    assert (record.status, record.attempts) == ("refused", 0)

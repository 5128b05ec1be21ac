"""Signed, at-least-once webhook delivery of redemption events, on a real worker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from loyalty.contracts.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, WebhookEvent
from loyalty.webhooks import signing, subscriptions
from loyalty.webhooks.publisher import publish
from tests.conftest import MemberFactory, unique_id
from tests.integration.webhooks.conftest import Receiver
from tests.support.api import FINAL, ApiHarness, joined_today, review_body


@pytest.fixture
async def subscribed(api: ApiHarness, receiver: Receiver) -> AsyncIterator[str]:
    """The receiver subscribed to every event, unsubscribed after (subscriptions are global)."""
    response = await api.http.post(
        "/v1/webhooks", json={"url": receiver.url}, headers=api.operator()
    )
    assert response.status_code == 201, response.text
    subscription_id = str(response.json()["id"])
    yield subscription_id
    await api.http.delete(f"/v1/webhooks/{subscription_id}", headers=api.operator())


async def eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition never became true")
        await asyncio.sleep(0.2)


def verified(api: ApiHarness, received: list) -> bool:  # type: ignore[type-arg]
    secret = api.settings.webhook_secret.get_secret_value()
    return all(
        signing.verify(secret, r.body, r.headers[SIGNATURE_HEADER], now=int(time.time()))
        and r.headers[EVENT_ID_HEADER] == r.event["id"]
        for r in received
    )


async def test_each_event_arrives_once_signed_even_when_published_twice(
    api: ApiHarness,
    receiver: Receiver,
    subscribed: str,
    new_member: MemberFactory,
    sessions: sessionmaker[Session],
) -> None:
    member = new_member(points=5_000)
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"}
    started = await api.redeem(body, api.customer(member))
    redemption_id = started.json()["redemption_id"]
    await api.wait_for(redemption_id, FINAL)
    await eventually(lambda: len(receiver.events("redemption.completed")) == 1)

    [completed] = receiver.events("redemption.completed")
    event = WebhookEvent.model_validate(completed.event)
    await publish(api.saga.client, sessions, event, task_queue=api.saga.task_queue)
    await asyncio.sleep(2)

    assert len(receiver.events("redemption.completed")) == 1  # the repeat joined the first
    assert event.id == f"{redemption_id}:redemption.completed"
    assert event.data["member_id"] == member and "voucher_code" not in event.data
    assert verified(api, receiver.accepted)
    with sessions() as session:
        deliveries = subscriptions.deliveries_for_event(session, event_id=event.id)
    [delivery] = [d for d in deliveries if d.subscription_id == subscribed]
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


async def test_a_receiver_that_fails_for_a_while_still_gets_the_event(
    api: ApiHarness,
    receiver: Receiver,
    subscribed: str,
    new_member: MemberFactory,
    sessions: sessionmaker[Session],
) -> None:
    receiver.fail_next = 3
    member = new_member(points=5_000, joined_on=joined_today())
    started = await api.redeem(review_body(member, unique_id("req")), api.customer(member))
    redemption_id = started.json()["redemption_id"]
    await api.wait_for(redemption_id, {"awaiting_approval"})

    await eventually(lambda: len(receiver.events("redemption.awaiting_approval")) == 1)

    assert receiver.refused == 3
    assert verified(api, receiver.accepted)
    with sessions() as session:
        deliveries = subscriptions.deliveries_for_event(
            session, event_id=f"{redemption_id}:redemption.awaiting_approval"
        )
    [delivery] = [d for d in deliveries if d.subscription_id == subscribed]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 4, 204)
    await api.http.post(
        f"/v1/redemptions/{redemption_id}/reject",
        json={"reason": "no thanks"},
        headers=api.support(),
    )
    await eventually(lambda: len(receiver.events("redemption.failed")) == 1)


async def test_refund_and_compensation_events(
    api: ApiHarness, receiver: Receiver, subscribed: str, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"}
    redemption_id = (await api.redeem(body, api.customer(member))).json()["redemption_id"]
    await api.wait_for(redemption_id, FINAL)

    refund = await api.http.post(
        f"/v1/redemptions/{redemption_id}/refund",
        json={"request_id": "r-1", "reason": "goodwill"},
        headers=api.support(),
    )
    await eventually(lambda: len(receiver.events("redemption.refunded")) == 1)

    [event] = receiver.events("redemption.refunded")
    assert event.event["data"]["refund_id"] == refund.json()["refund_id"]
    assert event.event["data"]["points_refunded"] == 380
    assert verified(api, receiver.accepted)


async def test_events_stop_after_unsubscribing(
    api: ApiHarness, receiver: Receiver, new_member: MemberFactory
) -> None:
    created = await api.http.post(
        "/v1/webhooks",
        json={"url": receiver.url, "events": ["redemption.completed"]},
        headers=api.operator(),
    )
    deleted = await api.http.delete(f"/v1/webhooks/{created.json()['id']}", headers=api.operator())
    member = new_member(points=5_000)
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"}
    redemption_id = (await api.redeem(body, api.customer(member))).json()["redemption_id"]
    await api.wait_for(redemption_id, FINAL)
    await asyncio.sleep(1)

    assert deleted.status_code == 204
    assert receiver.accepted == []


def test_signature_verification_rejects_tampering_and_stale_timestamps() -> None:
    body = b'{"id":"e1"}'
    header = signing.signature_header("s3cret", body, 1_700_000_000)

    assert signing.verify("s3cret", body, header, now=1_700_000_100)
    assert not signing.verify("s3cret", body + b" ", header, now=1_700_000_100)
    assert not signing.verify("other", body, header, now=1_700_000_100)
    assert not signing.verify("s3cret", body, header, now=1_700_001_000)
    assert not signing.verify("s3cret", body, "garbage", now=1_700_000_100)

"""POL-EXPIRY-001's advance notices: the daily expiry run announces each one once."""

from __future__ import annotations

import datetime as dt

from loyalty.contracts.maintenance import EXPIRE_POINTS_WORKFLOW, ExpiryRequest, ExpirySummary
from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from tests.conftest import MemberFactory, unique_id
from tests.integration.webhooks.conftest import Receiver
from tests.integration.webhooks.test_delivery import Subscribe, api, eventually, subscribe
from tests.support.api import ApiHarness
from tests.support.policies import POLICIES

__all__ = ["api", "subscribe"]


async def run_expiry(api: ApiHarness, member: str) -> ExpirySummary:
    summary: ExpirySummary = await api.saga.client.execute_workflow(
        EXPIRE_POINTS_WORKFLOW,
        ExpiryRequest(member_id=member, requested_by="test"),
        id=unique_id("loyalty-points-expiry"),
        task_queue=api.saga.task_queue,
        result_type=ExpirySummary,
    )
    return summary


async def test_each_lead_time_is_announced_once_per_expiry(
    api: ApiHarness,
    receiver: Receiver,
    subscribe: Subscribe,
    new_member: MemberFactory,
    ledger: Ledger,
) -> None:
    longest, shortest = PolicyBook(POLICIES).expiry_rules().notice_days_before  # 60, 14
    member = new_member(points=700, expires_in=dt.timedelta(days=shortest - 2))
    ledger.accrue(
        member_id=member,
        points=300,
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=longest - 5),
        idempotency_key=unique_id("later"),
    )
    ledger.accrue(
        member_id=member,
        points=50,
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=longest + 30),
        idempotency_key=unique_id("much-later"),
    )
    await subscribe(receiver.url, events=["points.expiring"])

    first = await run_expiry(api, member)
    second = await run_expiry(api, member)
    await eventually(lambda: len(receiver.events("points.expiring")) == 3)

    notices = sorted(
        (r.event["data"]["points"], r.event["data"]["days_before"])
        for r in receiver.events("points.expiring")
        if r.event["data"]["member_id"] == member
    )
    assert (first.notices, second.notices) == (3, 0)
    assert notices == [(300, longest), (700, shortest), (700, longest)]

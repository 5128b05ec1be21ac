"""POL-EXPIRY-001's advance notices: the daily expiry run announces each one once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

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


def past_due_lot(
    sessions: sessionmaker[Session], member: str, points: int, expired_ago: dt.timedelta
) -> dt.datetime:
    """A lot (credited long ago) whose date passed ``expired_ago``; its expiry date."""
    expires_at = dt.datetime.now(dt.UTC) - expired_ago
    credited = expires_at - dt.timedelta(days=365)
    Ledger(sessions, clock=lambda: credited).accrue(
        member_id=member, points=points, expires_at=expires_at, idempotency_key=unique_id("lot")
    )
    return expires_at


async def test_an_expiry_is_postponed_until_both_notices_went_out(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    rules = PolicyBook(POLICIES).expiry_rules()
    longest, shortest = rules.notice_days_before  # 60, 14
    one_day, hour = dt.timedelta(days=1), dt.timedelta(hours=1)
    notified, only_first, never = new_member(), new_member(), new_member()
    on_time = past_due_lot(sessions, notified, 500, hour)
    for days in (longest, shortest):  # each notice went out on its day
        ledger.record_notices(
            as_of=on_time - dt.timedelta(days=days) + hour,
            days_before=(days,),
            run_key=unique_id("earlier-run"),
            member_id=notified,
        )
    first_only = past_due_lot(sessions, only_first, 300, hour)
    ledger.record_notices(
        as_of=first_only - dt.timedelta(days=longest) + hour,
        days_before=(longest,),
        run_key=unique_id("earlier-run"),
        member_id=only_first,
    )
    past_due_lot(sessions, never, 200, one_day)  # e.g. credited after the notices' days

    runs = {who: await run_expiry(api, who) for who in (notified, only_first, never)}
    expiring = {
        who: (await api.http.get(f"/v1/members/{who}/expiring", headers=api.support())).json()
        for who in (only_first, never)
    }

    assert (runs[notified].lots_expired, runs[notified].points_expired) == (1, 500)
    for who, points, lead in ((only_first, 300, shortest), (never, 200, longest)):
        assert (runs[who].lots_expired, runs[who].lots_postponed) == (0, 1)
        assert ledger.balance(member_id=who).available == points
        [date] = expiring[who]["data"]
        # Postponed by the longest lead time not yet given: that notice goes out now.
        new_date = dt.datetime.fromisoformat(date["expires_at"])
        assert lead * one_day - hour < new_date - dt.datetime.now(dt.UTC) <= lead * one_day
        assert date["notices_sent"] == [d for d in rules.notice_days_before if d >= lead]
        assert ledger.reconcile(member_id=who) == []
    assert runs[only_first].notices == 2 and runs[never].notices == 1

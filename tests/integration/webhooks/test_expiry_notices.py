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
    # 700 points reach their 60-day notice today; 300 points, whose 60-day notice went
    # out on its day, reach their 14-day one; 50 points are further off than any notice.
    member = new_member(points=700, expires_in=dt.timedelta(days=longest, hours=-3))
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=shortest, hours=-3)
    ledger.accrue(member_id=member, points=300, expires_at=soon, idempotency_key=unique_id("soon"))
    ledger.record_notices(
        as_of=soon - dt.timedelta(days=longest),
        days_before=(longest,),
        run_key=unique_id("earlier-run"),
        member_id=member,
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
    await eventually(lambda: len(receiver.events("points.expiring")) == 2)

    notices = sorted(
        (r.event["data"]["points"], r.event["data"]["days_before"])
        for r in receiver.events("points.expiring")
        if r.event["data"]["member_id"] == member
    )
    assert (first.notices, second.notices) == (2, 0)
    assert (first.lots_postponed, second.lots_postponed) == (0, 0)
    assert notices == [(300, shortest), (700, longest)]


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


async def test_an_expiry_is_postponed_until_both_notices_went_out_in_time(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    rules = PolicyBook(POLICIES).expiry_rules()
    longest, shortest = rules.notice_days_before  # 60, 14
    one_day, hour = dt.timedelta(days=1), dt.timedelta(hours=1)
    notified, only_first, late, never = (new_member() for _ in range(4))

    def notice(who: str, expires_at: dt.datetime, days: int, sent_before: dt.timedelta) -> None:
        ledger.record_notices(
            as_of=expires_at - sent_before,
            days_before=(days,),
            run_key=unique_id("earlier-run"),
            member_id=who,
        )

    on_time = past_due_lot(sessions, notified, 500, hour)
    for days in (longest, shortest):  # each went out on the first daily run within its days
        notice(notified, on_time, days, days * one_day - hour)
    first_only = past_due_lot(sessions, only_first, 300, hour)
    notice(only_first, first_only, longest, longest * one_day)
    too_late = past_due_lot(sessions, late, 250, hour)  # e.g. credited 10 days before its date
    for days in (longest, shortest):
        notice(late, too_late, days, (shortest - 5) * one_day)
    past_due_lot(sessions, never, 200, one_day)

    runs = {who: await run_expiry(api, who) for who in (notified, only_first, late, never)}
    postponed = {
        who: (await api.http.get(f"/v1/members/{who}/expiring", headers=api.support())).json()
        for who in (only_first, late, never)
    }

    assert (runs[notified].lots_expired, runs[notified].points_expired) == (1, 500)
    for who, points in ((only_first, 300), (late, 250), (never, 200)):
        assert (runs[who].lots_expired, runs[who].lots_postponed) == (0, 1)
        assert ledger.balance(member_id=who).available == points
        [date] = postponed[who]["data"]
        # Moved by the longest lead time: that notice of the new date goes out at once.
        new_date = dt.datetime.fromisoformat(date["expires_at"])
        assert longest * one_day - hour < new_date - dt.datetime.now(dt.UTC) <= longest * one_day
        assert (date["notices_sent"], runs[who].notices) == ([longest], 1)
        assert ledger.reconcile(member_id=who) == []

"""Expiry: FIFO consumption across accruals, expiry of partly spent lots, exact restores."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from loyalty.errors import InsufficientPointsError
from loyalty.ledger.repository import Ledger
from loyalty.ledger.results import ExpiryRun
from tests.conftest import MemberFactory, unique_id
from tests.support.expiry import NOTICE_DAYS, send_notices_on_time

T0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def timed_ledger(sessions: sessionmaker[Session], clock: FakeClock) -> Ledger:
    return Ledger(sessions, clock=clock)


def accrue(ledger: Ledger, member: str, points: int, days: int) -> None:
    ledger.accrue(
        member_id=member,
        points=points,
        expires_at=T0 + dt.timedelta(days=days),
        idempotency_key=unique_id("accrue"),
    )


def expire(ledger: Ledger, member: str, as_of: dt.datetime) -> ExpiryRun:
    return ledger.expire(as_of=as_of, member_id=member, notice_days_before=NOTICE_DAYS)


def test_holds_consume_the_oldest_expiring_points_first(
    timed_ledger: Ledger, clock: FakeClock, new_member: MemberFactory
) -> None:
    member = new_member()
    accrue(timed_ledger, member, 100, days=30)
    accrue(timed_ledger, member, 200, days=10)  # expires first although accrued later
    accrue(timed_ledger, member, 300, days=60)

    hold = timed_ledger.hold(member_id=member, points=250, idempotency_key=unique_id("hold"))
    assert hold.hold_id is not None
    timed_ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))

    # The 250 came from the day-10 lot (200) and then the day-30 lot (50).
    clock.now = T0 + dt.timedelta(days=11)
    assert timed_ledger.balance(member_id=member).available == 50 + 300
    clock.now = T0 + dt.timedelta(days=31)
    assert timed_ledger.balance(member_id=member).available == 300


def test_expire_posts_what_is_left_of_partly_spent_lots(
    timed_ledger: Ledger, clock: FakeClock, new_member: MemberFactory
) -> None:
    member = new_member()
    accrue(timed_ledger, member, 100, days=10)
    accrue(timed_ledger, member, 100, days=20)
    hold = timed_ledger.hold(member_id=member, points=60, idempotency_key=unique_id("hold"))
    assert hold.hold_id is not None
    timed_ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))

    send_notices_on_time(timed_ledger, member_id=member, expires_at=T0 + dt.timedelta(days=10))
    clock.now = T0 + dt.timedelta(days=15)
    balance = timed_ledger.balance(member_id=member)
    assert balance.available == 100, "expired points stop counting before the expire run"
    with pytest.raises(InsufficientPointsError):
        timed_ledger.hold(member_id=member, points=101, idempotency_key=unique_id("hold"))

    first = expire(timed_ledger, member, clock.now)
    again = expire(timed_ledger, member, clock.now)
    mine = [e for e in timed_ledger.entries(member_id=member) if e.kind == "expire"]
    assert [e.delta_available for e in mine] == [-40]
    assert (first.points_expired, again.points_expired) == (40, 0)
    assert timed_ledger.reconcile(member_id=member) == []


def test_refund_restores_points_with_their_original_expiry(
    timed_ledger: Ledger, clock: FakeClock, new_member: MemberFactory
) -> None:
    member = new_member()
    accrue(timed_ledger, member, 100, days=10)
    accrue(timed_ledger, member, 100, days=40)
    hold = timed_ledger.hold(member_id=member, points=150, idempotency_key=unique_id("hold"))
    assert hold.hold_id is not None
    timed_ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))
    timed_ledger.reverse(
        hold_id=hold.hold_id,
        points=150,
        idempotency_key=unique_id("rev"),
        reason="refund",
        actor="agent",
    )

    assert timed_ledger.balance(member_id=member).available == 200
    send_notices_on_time(timed_ledger, member_id=member, expires_at=T0 + dt.timedelta(days=10))
    clock.now = T0 + dt.timedelta(days=11)
    # The day-10 lot got its 100 back and has now expired; only the day-40 lot counts.
    assert timed_ledger.balance(member_id=member).available == 100
    assert expire(timed_ledger, member, clock.now).points_expired == 100
    assert timed_ledger.reconcile(member_id=member) == []


def test_a_lot_that_regains_points_after_expiry_expires_again(
    timed_ledger: Ledger, clock: FakeClock, new_member: MemberFactory
) -> None:
    member = new_member()
    accrue(timed_ledger, member, 100, days=10)
    hold = timed_ledger.hold(member_id=member, points=70, idempotency_key=unique_id("hold"))
    assert hold.hold_id is not None
    timed_ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))
    send_notices_on_time(timed_ledger, member_id=member, expires_at=T0 + dt.timedelta(days=10))
    clock.now = T0 + dt.timedelta(days=11)
    expire(timed_ledger, member, clock.now)  # expires the 30 left
    timed_ledger.reverse(
        hold_id=hold.hold_id,
        points=70,
        idempotency_key=unique_id("rev"),
        reason="late refund",
        actor="agent",
    )
    expire(timed_ledger, member, clock.now)  # the refunded 70 are past their date too

    expired = [
        e.delta_available for e in timed_ledger.entries(member_id=member) if e.kind == "expire"
    ]
    assert sorted(expired) == [-70, -30]
    assert timed_ledger.balance(member_id=member).available == 0
    assert timed_ledger.reconcile(member_id=member) == []


def test_a_lot_owed_its_notices_waits_for_them_then_expires(
    timed_ledger: Ledger, clock: FakeClock, new_member: MemberFactory
) -> None:
    longest, shortest = NOTICE_DAYS
    member = new_member()
    accrue(timed_ledger, member, 100, days=10)  # no run sent it a notice
    clock.now = T0 + dt.timedelta(days=11)

    waiting = expire(timed_ledger, member, clock.now)
    [postponed] = timed_ledger.expiring(member_id=member)
    new_date = clock.now + dt.timedelta(days=longest)
    runs = []
    for day in (clock.now, new_date - dt.timedelta(days=shortest)):  # the daily runs' notices
        runs.append(
            timed_ledger.record_notices(
                as_of=day, days_before=NOTICE_DAYS, run_key=unique_id("run"), member_id=member
            )
        )
    clock.now = new_date
    expired = expire(timed_ledger, member, clock.now)

    assert (waiting.lots_postponed, waiting.points_expired) == (1, 0)
    assert (postponed.expires_at, postponed.points) == (new_date, 100)
    assert [[n.days_before for n in run] for run in runs] == [[longest], [shortest]]
    assert (expired.lots_postponed, expired.points_expired) == (0, 100)
    assert timed_ledger.reconcile(member_id=member) == []


def test_points_owed_a_notice_stay_spendable_past_their_old_date(
    timed_ledger: Ledger, clock: FakeClock, new_member: MemberFactory
) -> None:
    # Credited 10 days before its date, the lot can get neither notice in time, so its
    # expiry will be postponed; until then the member must not lose the points.
    longest, _ = NOTICE_DAYS
    member = new_member()
    accrue(timed_ledger, member, 100, days=10)
    clock.now = T0 + dt.timedelta(hours=2)  # the next daily run
    run = expire(timed_ledger, member, clock.now)
    clock.now = T0 + dt.timedelta(days=10, hours=1)  # past the old date, before that day's run

    balance = timed_ledger.balance(member_id=member)
    [lot] = timed_ledger.expiring(member_id=member)
    assert (run.lots_postponed, run.points_expired) == (1, 0)
    assert balance.available == 100
    assert (lot.expires_at, lot.points) == (T0 + dt.timedelta(days=10 + longest), 100)


def test_a_lot_whose_notices_can_still_go_out_in_time_keeps_its_date(
    timed_ledger: Ledger, clock: FakeClock, new_member: MemberFactory
) -> None:
    longest, _ = NOTICE_DAYS
    member = new_member()
    accrue(timed_ledger, member, 100, days=longest)
    run = expire(timed_ledger, member, clock.now)  # the 60-day notice is due today, not late

    [lot] = timed_ledger.expiring(member_id=member)
    assert run.lots_postponed == 0
    assert lot.expires_at == T0 + dt.timedelta(days=longest)

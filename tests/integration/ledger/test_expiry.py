"""Expiry: FIFO consumption across accruals, expiry of partly spent lots, exact restores."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from loyalty.domain.expiry import postponed_until
from loyalty.errors import InsufficientPointsError
from loyalty.ledger import expiry_care
from loyalty.ledger.models import ExpiryNotice
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


def test_the_run_visits_only_lots_past_their_date_or_owed_a_notice(
    timed_ledger: Ledger,
    clock: FakeClock,
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
) -> None:
    # The same rule as postponed_until, in SQL, so a daily run does not lock every
    # member with points expiring within 60 days.
    longest, shortest = NOTICE_DAYS
    member = new_member()
    lots = {
        "past": -1,
        "owed, 10 days left": 10,
        "notice due today, in time": longest,
        "beyond every notice": longest + 5,
        "60-day sent in time, 14-day not yet due": shortest + 3,
        "60-day sent in time, 14-day missed": shortest - 3,
    }
    clock.now = T0 - dt.timedelta(days=longest)  # credited long enough ago
    for days in lots.values():
        accrue(timed_ledger, member, 10, days=days)
    clock.now = T0
    # Each on its day, the earlier date first (a notice is recorded once, ever).
    for name in ("60-day sent in time, 14-day missed", "60-day sent in time, 14-day not yet due"):
        date = T0 + dt.timedelta(days=lots[name])
        timed_ledger.record_notices(
            as_of=date - dt.timedelta(days=longest),
            days_before=(longest,),
            run_key=unique_id("run"),
            member_id=member,
        )

    with sessions() as session:
        visited = expiry_care.lots_needing_the_run(
            session, as_of=T0, notice_days_before=NOTICE_DAYS, member_id=member
        )
    dates = {lot.expires_at for lot in visited}
    expected = {"past", "owed, 10 days left", "60-day sent in time, 14-day missed"}
    assert dates == {T0 + dt.timedelta(days=lots[name]) for name in expected}


# A lot: hours from the run to its date, and for each lead time the hours before
# the date its notice went out (None: never).
_LOTS = st.lists(
    st.tuples(
        st.integers(min_value=-72, max_value=24 * 70),
        st.tuples(*[st.none() | st.integers(min_value=0, max_value=24 * 70) for _ in NOTICE_DAYS]),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda lot: lot[0],
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lots=_LOTS)
def test_the_runs_sql_selects_exactly_the_lots_the_postponement_rule_acts_on(
    lots: list[tuple[int, tuple[int | None, ...]]],
    timed_ledger: Ledger,
    clock: FakeClock,
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
) -> None:
    member = new_member()
    clock.now = T0 - dt.timedelta(days=365)
    expected: set[dt.datetime] = set()
    with sessions.begin() as session:
        for hours, sent_before in lots:
            date = T0 + dt.timedelta(hours=hours)
            timed_ledger.accrue(
                member_id=member, points=5, expires_at=date, idempotency_key=unique_id("lot")
            )
            sent = {
                days: date - dt.timedelta(hours=before)
                for days, before in zip(NOTICE_DAYS, sent_before, strict=True)
                if before is not None
            }
            for days, at in sent.items():
                session.add(
                    ExpiryNotice(
                        member_id=member,
                        expires_at=date,
                        days_before=days,
                        points=5,
                        run_key="property",
                        sent_at=at,
                    )
                )
            moves = postponed_until(
                expires_at=date, as_of=T0, notice_days_before=NOTICE_DAYS, sent=sent
            )
            if date <= T0 or moves is not None:
                expected.add(date)
    clock.now = T0

    with sessions() as session:
        visited = expiry_care.lots_needing_the_run(
            session, as_of=T0, notice_days_before=NOTICE_DAYS, member_id=member
        )
    assert {lot.expires_at for lot in visited} == expected

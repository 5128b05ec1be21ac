"""POL-EXPIRY-001's postponement: an expiry owed a notice (missing or late) moves."""

from __future__ import annotations

import datetime as dt

from loyalty.domain.expiry import postponed_until
from loyalty.policies.book import PolicyBook
from tests.support.policies import POLICIES

DAYS = PolicyBook(POLICIES).expiry_rules().notice_days_before  # longest first
LONGEST, SHORTEST = DAYS
DATE = dt.datetime(2030, 6, 1, 9, tzinfo=dt.UTC)
NOW = DATE + dt.timedelta(hours=20)  # the daily run after the date


def before(days: int, hours: int = 0) -> dt.datetime:
    return DATE - dt.timedelta(days=days, hours=hours)


def postponed(sent: dict[int, dt.datetime]) -> dt.datetime | None:
    return postponed_until(expires_at=DATE, as_of=NOW, notice_days_before=DAYS, sent=sent)


def test_an_expiry_whose_notices_went_out_on_their_days_runs() -> None:
    # The daily run sends each on the first run within its lead time: up to a day short.
    assert postponed({d: before(d) for d in DAYS}) is None
    assert postponed({d: before(d - 1, hours=1) for d in DAYS}) is None


def test_an_expiry_owed_a_notice_moves_by_the_longest_lead_time() -> None:
    later = NOW + dt.timedelta(days=LONGEST)

    assert postponed({}) == later
    assert postponed({LONGEST: before(LONGEST)}) == later  # the second never went out
    # Credited 10 days before its date: both notices went out, too late.
    assert postponed({d: before(SHORTEST - 5) for d in DAYS}) == later


def test_an_expiry_not_yet_due_moves_once_a_notice_missed_its_day() -> None:
    # Seen by a run 10 days before the date: the 60-day notice can no longer go out in
    # time, so the date moves now, by the longest lead time from the old date.
    run = before(10)
    assert postponed_until(
        expires_at=DATE, as_of=run, notice_days_before=DAYS, sent={}
    ) == DATE + dt.timedelta(days=LONGEST)
    # Every notice whose day has passed went out in time; the 14-day one is still to come.
    assert (
        postponed_until(
            expires_at=DATE,
            as_of=before(SHORTEST + 3),
            notice_days_before=DAYS,
            sent={LONGEST: before(LONGEST)},
        )
        is None
    )
    # Nothing is due yet.
    assert (
        postponed_until(
            expires_at=DATE, as_of=before(LONGEST + 1), notice_days_before=DAYS, sent={}
        )
        is None
    )

"""POL-EXPIRY-001's postponement: an expiry owed a notice moves by the longest lead time owed."""

from __future__ import annotations

import datetime as dt

from loyalty.domain.expiry import postponed_until
from loyalty.policies.book import PolicyBook
from tests.support.policies import POLICIES

DAYS = PolicyBook(POLICIES).expiry_rules().notice_days_before  # longest first
NOW = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)


def test_an_expiry_whose_notices_all_went_out_runs() -> None:
    assert postponed_until(as_of=NOW, notice_days_before=DAYS, sent=set(DAYS)) is None


def test_an_expiry_owed_notices_moves_by_the_longest_lead_time_owed() -> None:
    longest, shortest = DAYS
    none_sent = postponed_until(as_of=NOW, notice_days_before=DAYS, sent=())
    first_sent = postponed_until(as_of=NOW, notice_days_before=DAYS, sent={longest})

    assert none_sent == NOW + dt.timedelta(days=longest)
    assert first_sent == NOW + dt.timedelta(days=shortest)

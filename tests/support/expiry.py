"""POL-EXPIRY-001's advance notices as the daily runs would have sent them, for expiry tests.

An expiry runs only once every notice went out (else the run postpones it), so
a test about what expires first sends the notices, each on its own day.
"""

from __future__ import annotations

import datetime as dt
import uuid

from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from tests.support.policies import POLICIES

NOTICE_DAYS = PolicyBook(POLICIES).expiry_rules().notice_days_before


def send_notices_on_time(ledger: Ledger, *, member_id: str, expires_at: dt.datetime) -> None:
    """Record each notice of the member's points expiring at ``expires_at`` on its day.

    Like the daily run on that day, it also records a notice of any other of the
    member's lots then within the same lead time.
    """
    for days in NOTICE_DAYS:
        ledger.record_notices(
            as_of=expires_at - dt.timedelta(days=days),
            days_before=(days,),
            run_key=f"test-notices-{uuid.uuid4().hex[:10]}",
            member_id=member_id,
        )

"""POL-EXPIRY-001's advance notices: record the ones due (each once), for the run to announce."""

from __future__ import annotations

from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.contracts.maintenance import (
    RECORD_EXPIRY_NOTICES,
    ExpiryNotice,
    ExpiryNotices,
    NoticesDue,
)
from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook


class ExpiryNoticeActivities:
    def __init__(self, *, ledger: Ledger, policies: PolicyBook) -> None:
        self._ledger = ledger
        self._policies = policies

    @activity.defn(name=RECORD_EXPIRY_NOTICES)
    @business_errors
    def record_notices(self, request: NoticesDue) -> ExpiryNotices:
        days = self._policies.expiry_rules(today=request.as_of.date()).notice_days_before
        recorded = self._ledger.record_notices(
            as_of=request.as_of,
            days_before=days,
            run_key=request.run_key,
            member_id=request.member_id,
        )
        return ExpiryNotices(
            notices=[
                ExpiryNotice(
                    member_id=n.member_id,
                    expires_at=n.expires_at,
                    days_before=n.days_before,
                    points=n.points,
                )
                for n in recorded
            ]
        )

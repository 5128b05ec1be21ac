"""The tier review's activity: a thin adapter over ``ledger.tiers`` with POL-TIER-001's numbers.

Each member is reviewed in a transaction of its own (its row locked), so a
page that fails half-way keeps what it saved and a retry reviews again from
the stored standing: a review is idempotent for a given day.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.contracts.members import (
    REVIEW_MEMBER_TIERS,
    TierReviewed,
    TierReviewPage,
    TierReviewPageResult,
)
from loyalty.domain.tier_review import TierChange, TierReview
from loyalty.ledger import tiers
from loyalty.policies.book import PolicyBook


class TierActivities:
    def __init__(self, *, sessions: sessionmaker[Session], policies: PolicyBook) -> None:
        self._sessions = sessions
        self._policies = policies

    @activity.defn(name=REVIEW_MEMBER_TIERS)
    @business_errors
    def review_member_tiers(self, page: TierReviewPage) -> TierReviewPageResult:
        rules = self._policies.tier_rules(today=page.today)
        if page.member_id is not None:
            ids: list[str] = [page.member_id]
        else:
            with self._sessions() as session:
                ids = list(tiers.reviewable_members(session, after=page.after, limit=page.limit))
        reviews = []
        for member_id in ids:
            with self._sessions.begin() as session:
                review = tiers.review_member(
                    session,
                    member_id=member_id,
                    today=page.today,
                    rules=rules,
                    actor=page.requested_by,
                    role=page.role,
                )
            if review.change is not TierChange.UNCHANGED or page.member_id is not None:
                reviews.append(_reviewed(member_id, review))
        done = page.member_id is not None or len(ids) < page.limit
        return TierReviewPageResult(
            reviewed=len(ids), reviews=reviews, next_after=None if done else ids[-1]
        )


def _reviewed(member_id: str, review: TierReview) -> TierReviewed:
    return TierReviewed(
        member_id=member_id,
        change=review.change.value,
        before=review.before.value,
        after=review.after.value,
        qualifying_points=review.qualifying_points,
        changed_on=review.changed_on,
        grace_until=review.grace_until,
        reason=review.reason,
    )

"""Tier reviews against the ledger: qualifying points, and a member's new standing with its audit.

Qualifying points (POL-TIER-001: "only points earned from purchases") are the
points earned by ``accrue`` entries in the rolling window; goodwill and
retention credits are ``adjust`` entries and never count. Purchase accruals
with a pending period post ``settle`` when their points become available and
``clawback`` when a return takes them back (issue 13 item 1); both kinds count
too, so a return lowers what qualifies.

A review locks the member's row, so the daily schedule and an on-demand review
of the same member serialize; a change of standing and its audit row are one
transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyalty.domain.tier_review import TierReview, TierRules, TierStanding, add_months, review_tier
from loyalty.domain.tiers import Tier
from loyalty.errors import NotFoundError
from loyalty.ledger import audit
from loyalty.ledger.models import LedgerEntry, Member

QUALIFYING_KINDS = ("accrue", "settle", "clawback")
AUDIT_ACTION = "member.tier_review"


def qualifying_points(session: Session, *, member_id: str, since: dt.datetime) -> int:
    """Points earned from purchases since ``since`` (net of what returns took back)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.delta_available), 0)).where(
            LedgerEntry.member_id == member_id,
            LedgerEntry.kind.in_(QUALIFYING_KINDS),
            LedgerEntry.created_at >= since,
        )
    )
    return max(int(total or 0), 0)


def review_member(
    session: Session, *, member_id: str, today: dt.date, rules: TierRules, actor: str, role: str
) -> TierReview:
    """Review one member's tier in ``session``'s transaction; save and audit any change.

    Raises:
        NotFoundError: No such member.
    """
    member = session.scalars(select(Member).where(Member.id == member_id).with_for_update()).first()
    if member is None:
        raise NotFoundError(f"member {member_id} not found")
    window_start = add_months(today, -rules.window_months)
    since = dt.datetime.combine(window_start, dt.time(), tzinfo=dt.UTC)
    review = review_tier(
        TierStanding(
            tier=Tier(member.tier),
            changed_on=member.tier_changed_on,
            grace_until=member.tier_grace_until,
        ),
        qualifying_points=qualifying_points(session, member_id=member_id, since=since),
        today=today,
        rules=rules,
    )
    if (review.after.value, review.grace_until) != (member.tier, member.tier_grace_until):
        member.tier = review.after.value
        member.tier_changed_on = review.changed_on
        member.tier_grace_until = review.grace_until
        audit.record(
            session,
            actor=actor,
            role=role,
            action=f"{AUDIT_ACTION}.{review.change.value}",
            target=member_id,
            reason=review.reason,
            details={
                "before": review.before.value,
                "after": review.after.value,
                "qualifying_points": review.qualifying_points,
                "grace_until": review.grace_until.isoformat() if review.grace_until else None,
                "window_start": window_start.isoformat(),
            },
        )
    return review


def reviewable_members(session: Session, *, after: str, limit: int) -> Sequence[str]:
    """Ids of members whose tier is reviewed (every one not closed), in id order after ``after``."""
    query = (
        select(Member.id)
        .where(Member.status != "closed", Member.id > after)
        .order_by(Member.id)
        .limit(limit)
    )
    return session.scalars(query).all()

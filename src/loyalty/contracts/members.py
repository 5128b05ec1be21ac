"""Wire contracts of the tier review (POL-TIER-001).

- ReviewTiers (workflow): input ``TierReviewRequest``; a daily Schedule
  reviews every member, an operator one member on demand. It calls the
  ``ReviewMemberTiers`` activity one page of members at a time
  (``TierReviewPage``), then announces each tier change as a
  ``member.tier_changed`` webhook event through the durable fan-out. Result:
  ``TierReviewReport`` (of its own pages: a review of a large program
  continues as new runs when Temporal suggests, each reporting its part).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from loyalty.contracts.base import Contract, Identifier

REVIEW_TIERS_WORKFLOW = "ReviewTiers"
REVIEW_MEMBER_TIERS = "ReviewMemberTiers"
TIER_CHANGES = ("upgrade", "downgrade")


class TierReviewRequest(Contract):
    """Review every member not closed, or only ``member_id``.

    ``after`` and ``today`` are set when a long review continues as a new run:
    it goes on after that member id, for the same day.
    """

    member_id: Identifier | None = None
    requested_by: Identifier = "schedule"
    role: Identifier = "system"
    after: str = ""
    today: dt.date | None = None


class TierReviewPage(Contract):
    """Input of ReviewMemberTiers: members after ``after`` (id order), reviewed as of ``today``."""

    today: dt.date
    member_id: Identifier | None = None
    after: str = ""
    limit: int = Field(default=200, ge=1, le=1000)
    requested_by: Identifier = "schedule"
    role: Identifier = "system"


class TierReviewed(Contract):
    """One member's review; ``change`` is ``upgrade``, ``downgrade``, ``grace_started``..."""

    member_id: str
    change: str
    before: str
    after: str
    qualifying_points: int
    changed_on: dt.date
    grace_until: dt.date | None
    reason: str

    @property
    def moved(self) -> bool:
        return self.change in TIER_CHANGES


class TierReviewPageResult(Contract):
    reviewed: int
    reviews: list[TierReviewed] = Field(
        default_factory=list, description="Every change (and, for one member, its review)."
    )
    next_after: str | None = Field(description="The last id reviewed; None when done.")


class TierReviewReport(Contract):
    reviewed: int
    reviews: list[TierReviewed] = Field(default_factory=list)
    events_started: int = 0

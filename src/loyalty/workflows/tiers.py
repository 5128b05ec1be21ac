"""The tier review as a workflow: page through the members, then announce every tier change.

Started daily by a Temporal Schedule (``loyalty-tier-review``) and on demand
for one member (``POST /v1/members/{id}/tier-review``). The activity saves
each new standing with its audit row; this workflow announces each upgrade
or downgrade as a ``member.tier_changed`` event through the durable fan-out,
so an announced change reaches every subscriber at least once.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts.members import (
        REVIEW_MEMBER_TIERS,
        REVIEW_TIERS_WORKFLOW,
        TierReviewPage,
        TierReviewPageResult,
        TierReviewReport,
        TierReviewRequest,
    )
    from loyalty.contracts.webhooks import tier_event
    from loyalty.workflows.options import TIER_REVIEW
    from loyalty.workflows.webhook_fanout import fan_out


@workflow.defn(name=REVIEW_TIERS_WORKFLOW)
class ReviewTiersWorkflow:
    @workflow.run
    async def run(self, request: TierReviewRequest) -> TierReviewReport:
        # The run's start day, not the activity's: a retry after midnight reviews the same day.
        today = request.today or workflow.info().start_time.date()
        page = TierReviewPage(
            today=today,
            member_id=request.member_id,
            after=request.after,
            requested_by=request.requested_by,
            role=request.role,
        )
        reviewed, reviews, events = 0, [], 0
        while True:
            result: TierReviewPageResult = await workflow.execute_activity(
                REVIEW_MEMBER_TIERS, page, result_type=TierReviewPageResult, **TIER_REVIEW.kwargs()
            )
            reviewed += result.reviewed
            reviews += result.reviews
            for review in result.reviews:
                if review.moved:
                    events += await fan_out(tier_event(review, at=workflow.now()))
            if result.next_after is None:
                return TierReviewReport(reviewed=reviewed, reviews=reviews, events_started=events)
            if workflow.info().is_continue_as_new_suggested():  # a long history: start afresh
                following = {"after": result.next_after, "today": today}
                workflow.continue_as_new(request.model_copy(update=following))
            page = page.model_copy(update={"after": result.next_after})

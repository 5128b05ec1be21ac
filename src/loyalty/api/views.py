"""Turn workflow states, ledger results and rows into the public schemas.

Customers read their own redemptions without what the fraud rules found:
no score, no verdict, no reviewer, and a plain sentence instead of the
signals (which would teach how to steer them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from loyalty.api import schemas
from loyalty.api.queue_schemas import AuditEntryPublic, DecisionEntryPublic
from loyalty.contracts.accrual import AccrualRecord
from loyalty.contracts.redemption import RedemptionState, RedemptionStatus
from loyalty.domain.pricing import PriceQuote
from loyalty.ledger.decision_models import AgentDecision
from loyalty.ledger.models import AuditRecord, Redemption, Reward
from loyalty.ledger.results import AccrualView, Balance, EntryView
from loyalty.webhooks.models import WebhookSubscription


def redemption_link(redemption_id: str) -> schemas.Links:
    return schemas.Links(self=f"/v1/redemptions/{redemption_id}")


REVIEW_NOTICE = "Our team checks this redemption before it goes ahead."
REFUSED_NOTICE = "This redemption cannot be completed; please contact support."
_FRAUD_FOUND = {"review", "deny"}
_STAFF_ONLY = ("fraud_verdict", "fraud_score", "review_outcome", "reviewed_by")


def plain_reasons(
    reasons: Sequence[str], *, fraud_verdict: str | None, status: RedemptionStatus
) -> list[str]:
    """What a customer reads as reasons: never the fraud signals, only a plain outcome."""
    if fraud_verdict not in _FRAUD_FOUND:
        return list(reasons)
    if status is RedemptionStatus.AWAITING_APPROVAL:
        return [REVIEW_NOTICE]
    return [] if status is RedemptionStatus.COMPLETED else [REFUSED_NOTICE]


def customer_redemption(public: schemas.RedemptionPublic) -> schemas.RedemptionPublic:
    """The member's own view of a redemption: the outcome, without fraud or review details."""
    reasons = plain_reasons(
        public.reasons, fraud_verdict=public.fraud_verdict, status=public.status
    )
    return public.model_copy(update={"reasons": reasons, **dict.fromkeys(_STAFF_ONLY)})


def redemption(
    state: RedemptionState,
    *,
    live: bool,
    voucher_code: str | None,
    live_state_unavailable: bool = False,
) -> schemas.RedemptionPublic:
    """The public shape; ``voucher_code`` is what this caller may see (the code, masked, None)."""
    return schemas.RedemptionPublic(
        **state.model_dump(
            include={
                "redemption_id",
                "request_id",
                "member_id",
                "reward_id",
                "quantity",
                "channel",
                "status",
                "points",
                "reasons",
                "fraud_verdict",
                "fraud_score",
                "review_outcome",
                "voucher_id",
                "started_at",
                "finished_at",
            }
        ),
        live=live,
        live_state_unavailable=live_state_unavailable,
        voucher_code=voucher_code,
        current_step=state.current_step.value if state.current_step else None,
        breakdown=[schemas.PriceLinePublic(**line.model_dump()) for line in state.breakdown],
        reviewed_by=state.review.agent_id if state.review else None,
        steps=[
            schemas.StepPublic(step=s.step.value, status=s.status, at=s.at, detail=s.detail)
            for s in state.steps
        ],
    )


def summary(row: Redemption) -> schemas.RedemptionSummary:
    return schemas.RedemptionSummary(
        redemption_id=row.id,
        request_id=row.request_id,
        member_id=row.member_id,
        reward_id=row.reward_id,
        quantity=row.quantity,
        channel=row.channel,
        status=row.status,
        points=row.points,
        refunded_points=row.refunded_points,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def balance(value: Balance) -> schemas.BalancePublic:
    return schemas.BalancePublic(
        member_id=value.member_id,
        available=value.available,
        held=value.held,
        expiring_soon=value.expiring_soon,
        expiring_soon_before=value.expiring_soon_before,
        as_of=value.as_of,
        pending=value.pending,
        owed=value.owed,
    )


def entry(value: EntryView) -> schemas.LedgerEntryPublic:
    return schemas.LedgerEntryPublic(
        entry_id=value.entry_id,
        kind=value.kind,
        delta_available=value.delta_available,
        delta_held=value.delta_held,
        available_after=value.available_after,
        held_after=value.held_after,
        delta_pending=value.delta_pending,
        pending_after=value.pending_after,
        delta_owed=value.delta_owed,
        owed_after=value.owed_after,
        expires_at=value.expires_at,
        reason=value.reason,
        created_at=value.created_at,
    )


def reward(row: Reward) -> schemas.RewardPublic:
    return schemas.RewardPublic(
        reward_id=row.id,
        name=row.name,
        category=row.category,
        point_cost=row.point_cost,
        min_tier=row.min_tier,
        inventory=row.inventory,
        regions=row.regions,
    )


def price_check(quote: PriceQuote) -> schemas.PriceCheck:
    """A domain price as the API shows it: total, lines, promotions applied."""
    return schemas.PriceCheck(
        total=quote.total,
        lines=[
            schemas.PriceLinePublic(
                kind=line.kind.value,
                source_id=line.source_id,
                description=line.description,
                points=line.points,
            )
            for line in quote.lines
        ],
        applied_promotion_ids=list(quote.applied_promotion_ids),
    )


def audit_entry(row: AuditRecord) -> AuditEntryPublic:
    return AuditEntryPublic(
        entry_id=row.id,
        actor=row.actor,
        role=row.role,
        action=row.action,
        target=row.target,
        reason=row.reason,
        details=row.details,
        created_at=row.created_at,
    )


def decision_entry(row: AgentDecision) -> DecisionEntryPublic:
    names = DecisionEntryPublic.model_fields.keys() - {"entry_id"}  # the columns' own names
    return DecisionEntryPublic(entry_id=row.id, **{name: getattr(row, name) for name in names})


def webhook(row: WebhookSubscription) -> schemas.WebhookPublic:
    return schemas.WebhookPublic(
        id=row.id,
        url=row.url,
        events=list(row.events),
        description=row.description,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def accrual(value: AccrualView) -> AccrualRecord:
    return AccrualRecord.model_validate(dataclasses.asdict(value))

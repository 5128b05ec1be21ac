"""The staff's work queues (Temporal visibility) and the operators' logs (PostgreSQL), paged."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Depends, Query

from loyalty.api import queues, views
from loyalty.api.access import allow
from loyalty.api.auth import STAFF, Role
from loyalty.api.deps import GatewayDep, PrincipalDep, SessionDep
from loyalty.api.paging import KeysetCursor, time_id_after, time_id_cursor
from loyalty.api.queue_schemas import (
    LOG_CURSOR_PATTERN,
    QUEUE_CURSOR_PATTERN,
    AuditPage,
    CappedPurchasePage,
    CappedPurchasePublic,
    DecisionPage,
    QueuePage,
)
from loyalty.api.queues import Queue, QueueFilter
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import ID_PATTERN
from loyalty.ledger import capped, logs

router = gated_router(prefix="/v1", tags=["queues"], responses=errors(*AUTHENTICATED))

Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=4100, pattern=QUEUE_CURSOR_PATTERN, description="`next_cursor` of the last page."
    ),
]
LogCursor = Annotated[
    str | None,
    Query(pattern=LOG_CURSOR_PATTERN, description="`next_cursor` of the last page."),
]
IdFilter = Annotated[str | None, Query(pattern=ID_PATTERN, max_length=64)]
WhoFilter = Annotated[
    str | None, Query(min_length=1, max_length=128, pattern=r"^[^\"\\\x00-\x1F]+$")
]
MinPoints = Annotated[int | None, Query(ge=0, le=2**62, description="Points at least this.")]


def _redemption_filter(
    member_id: IdFilter = None,
    reward_id: IdFilter = None,
    requested_by: WhoFilter = None,
    min_points: MinPoints = None,
) -> QueueFilter:
    """The filters of the two redemption queues (fraud reviews, needs attention)."""
    return QueueFilter(
        member_id=member_id, reward_id=reward_id, requested_by=requested_by, min_points=min_points
    )


RedemptionFilter = Annotated[QueueFilter, Depends(_redemption_filter)]


async def _queue(
    gateway: GatewayDep,
    queue: Queue,
    limit: int,
    cursor: str | None,
    where: QueueFilter,
) -> QueuePage:
    return await queues.page(gateway, queue, where, limit=limit, cursor=cursor)


@router.get(
    "/queues/fraud-reviews",
    operation_id="queues.fraud_reviews.list",
    response_model=QueuePage,
    summary="Redemptions waiting for a fraud review, newest first",
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
async def fraud_reviews(
    principal: PrincipalDep,
    gateway: GatewayDep,
    where: RedemptionFilter,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> QueuePage:
    return await _queue(gateway, Queue.FRAUD_REVIEWS, limit, cursor, where)


@router.get(
    "/queues/assisted-approvals",
    operation_id="queues.assisted_approvals.list",
    response_model=QueuePage,
    summary="Assisted cases waiting for an approver, newest first",
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
async def assisted_approvals(
    principal: PrincipalDep,
    gateway: GatewayDep,
    member_id: IdFilter = None,
    reward_id: IdFilter = None,
    min_points: MinPoints = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> QueuePage:
    where = QueueFilter(member_id=member_id, reward_id=reward_id, min_points=min_points)
    return await _queue(gateway, Queue.ASSISTED_APPROVALS, limit, cursor, where)


@router.get(
    "/queues/needs-attention",
    operation_id="queues.needs_attention.list",
    response_model=QueuePage,
    summary="Redemptions whose compensation failed, waiting for an operator, newest first",
    openapi_extra=allow(Role.OPERATOR),
)
async def needs_attention(
    principal: PrincipalDep,
    gateway: GatewayDep,
    where: RedemptionFilter,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> QueuePage:
    return await _queue(gateway, Queue.NEEDS_ATTENTION, limit, cursor, where)


@router.get(
    "/queues/capped-purchases",
    operation_id="queues.capped_purchases.list",
    response_model=CappedPurchasePage,
    summary="Purchases capped at max_points_per_purchase, for the fraud team; newest first",
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
def capped_purchases(
    principal: PrincipalDep,
    session: SessionDep,
    member_id: IdFilter = None,
    limit: Limit = 20,
    cursor: KeysetCursor = None,
) -> CappedPurchasePage:
    """POL-ACCRUAL-001: larger orders are capped and flagged for the fraud team to check
    for reselling. Each is also an ``accrual.capped`` row in the audit log."""
    rows = capped.page(session, member_id=member_id, limit=limit + 1, after=time_id_after(cursor))
    return CappedPurchasePage(
        data=[CappedPurchasePublic(**dataclasses.asdict(row)) for row in rows[:limit]],
        next_cursor=time_id_cursor(rows, limit, lambda r: (r.created_at, r.accrual_id)),
    )


@router.get(
    "/audit-log",
    operation_id="audit_log.list",
    response_model=AuditPage,
    summary="Who did what to which target, and why; newest first",
    openapi_extra=allow(Role.OPERATOR),
)
def audit_log(
    principal: PrincipalDep,
    session: SessionDep,
    actor: WhoFilter = None,
    action: Annotated[str | None, Query(pattern=r"^[a-z_.]{1,64}$")] = None,
    target: Annotated[str | None, Query(min_length=1, max_length=640)] = None,
    limit: Limit = 50,
    cursor: LogCursor = None,
) -> AuditPage:
    where = logs.AuditFilter(actor=actor, action=action, target=target)
    rows = logs.audit_page(session, where=where, before_id=_row_cursor(cursor), limit=limit)
    following = str(rows[-1].id) if len(rows) == limit else None
    return AuditPage(data=[views.audit_entry(row) for row in rows], next_cursor=following)


@router.get(
    "/decision-log",
    operation_id="decision_log.list",
    response_model=DecisionPage,
    summary="The agents' proposals and the decisions on them; newest first",
    openapi_extra=allow(Role.OPERATOR),
)
def decision_log(
    principal: PrincipalDep,
    session: SessionDep,
    member_id: IdFilter = None,
    case_id: IdFilter = None,
    kind: Annotated[str | None, Query(pattern=r"^(proposal|decision)$")] = None,
    limit: Limit = 50,
    cursor: LogCursor = None,
) -> DecisionPage:
    where = logs.DecisionFilter(member_id=member_id, case_id=case_id, kind=kind)
    rows = logs.decision_page(session, where=where, before_id=_row_cursor(cursor), limit=limit)
    following = str(rows[-1].id) if len(rows) == limit else None
    return DecisionPage(data=[views.decision_entry(row) for row in rows], next_cursor=following)


def _row_cursor(cursor: str | None) -> int | None:
    """The logs' cursor is the last row id shown (append-only tables: keyset paging)."""
    if cursor is None:
        return None
    return int(cursor)  # the pattern admits digits only

"""Points expiry: what is expiring (the member, staff), extensions and reinstatements (support).

Extensions and reinstatements are one idempotent ledger transaction each
(``loyalty.ledger.expiry_care``), audited in it, within POL-EXPIRY-001's limits
read at the request; nothing to orchestrate, so no workflow.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path, Query
from fastapi.concurrency import run_in_threadpool

from loyalty.api.access import allow
from loyalty.api.auth import PEOPLE, STAFF
from loyalty.api.deps import LedgerDep, PrincipalDep, StateDep
from loyalty.api.expiry_schemas import (
    ExpiringDate,
    ExpiringPublic,
    ExtensionCreate,
    ExtensionPublic,
    ReinstatementCreate,
    ReinstatementPublic,
)
from loyalty.api.paging import KeysetCursor, Limit, instant, window
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import ID_PATTERN
from loyalty.ledger.expiry_care import Staff

router = gated_router(
    prefix="/v1/members", tags=["expiry"], responses=errors(*AUTHENTICATED, 404, 409, 413)
)
MemberId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="Member id.")]


@router.get(
    "/{member_id}/expiring",
    operation_id="members.expiring.list",
    response_model=ExpiringPublic,
    summary="Unexpired points by expiry date, soonest first",
    openapi_extra=allow(*PEOPLE),
)
def get_expiring(
    member_id: MemberId,
    principal: PrincipalDep,
    ledger: LedgerDep,
    within_days: Annotated[
        int | None, Query(ge=1, le=3660, description="Only dates within this many days.")
    ] = None,
    cursor: KeysetCursor = None,
    limit: Limit = 100,
) -> ExpiringPublic:
    principal.require_member(member_id)
    within = dt.timedelta(days=within_days) if within_days is not None else None
    found = ledger.expiring(member_id=member_id, within=within)
    # One row per date, soonest first: the date is the key.
    page, next_cursor = window(found, cursor, limit, key=lambda f: (instant(f.expires_at),))
    return ExpiringPublic(
        member_id=member_id,
        data=[
            ExpiringDate(
                expires_at=f.expires_at,
                points=f.points,
                lots=f.lots,
                notices_sent=list(f.notices_sent),
            )
            for f in page
        ],
        next_cursor=next_cursor,
        total_points=sum(f.points for f in found),
    )


@router.post(
    "/{member_id}/expiring/extend",
    operation_id="members.expiring.extend",
    response_model=ExtensionPublic,
    summary="Push back the expiry of the points due on a date (support; idempotent)",
    openapi_extra=allow(*STAFF),
)
async def extend(
    member_id: MemberId,
    body: ExtensionCreate,
    principal: PrincipalDep,
    state: StateDep,
    ledger: LedgerDep,
) -> ExtensionPublic:
    """At most the tier's ``extension_max_days``, ``extension_max_per_member_12m`` times a year."""
    rules = await run_in_threadpool(state.policies.expiry_rules)
    done = await run_in_threadpool(
        lambda: ledger.extend_expiry(
            member_id=member_id,
            expires_on=body.expires_on,
            days=body.days,
            rules=rules,
            staff=Staff(actor=principal.subject, role=principal.role.value, reason=body.reason),
            idempotency_key=f"extend~{member_id}~{body.request_id}",
        )
    )
    return ExtensionPublic(
        extension_id=done.extension_id,
        member_id=member_id,
        expires_on=done.expires_on,
        new_expires_on=done.new_expires_on,
        days=done.days,
        points=done.points,
        replayed=done.replayed,
    )


@router.post(
    "/{member_id}/expiring/reinstate",
    operation_id="members.expiring.reinstate",
    response_model=ReinstatementPublic,
    summary="Reinstate points expired within the window (support; idempotent)",
    openapi_extra=allow(*STAFF),
)
async def reinstate(
    member_id: MemberId,
    body: ReinstatementCreate,
    principal: PrincipalDep,
    state: StateDep,
    ledger: LedgerDep,
) -> ReinstatementPublic:
    """Once per ``reinstatement_window_days``, at most the tier's ``reinstatement_max_points``;
    above the member's approval threshold (POL-APPROVAL-001) it is refused."""
    rules = await run_in_threadpool(state.policies.expiry_rules)
    numbers = await run_in_threadpool(state.policies.numbers)
    points, replayed = await run_in_threadpool(
        lambda: ledger.reinstate(
            member_id=member_id,
            rules=rules,
            approval_thresholds=numbers.parameters.approval_threshold_points,
            staff=Staff(actor=principal.subject, role=principal.role.value, reason=body.reason),
            idempotency_key=f"reinstate~{member_id}~{body.request_id}",
        )
    )
    return ReinstatementPublic(member_id=member_id, points=points, replayed=replayed)

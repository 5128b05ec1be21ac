"""Promotions (operators only): create, schedule, end, list and read with every version.

Every change inserts the next version (``loyalty.ledger.promotions``), so a
redemption's breakdown, which names ``<promotion_id>@<version>``, always
points at what it was priced with. Ending a promotion sets ``ends_at`` to now
in a new version; it stops applying to every price computed after that.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from fastapi import Path, Query

from loyalty.api import audit
from loyalty.api.access import allow
from loyalty.api.auth import Role
from loyalty.api.deps import PrincipalDep, SessionDep, StateDep
from loyalty.api.paging import KeysetCursor, Limit, window
from loyalty.api.promotion_schemas import (
    PromotionCreate,
    PromotionDetail,
    PromotionPublic,
    PromotionSchedule,
    PromotionsPublic,
    PromotionStatus,
    PromotionVersionPublic,
)
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.domain.promotions import PromotionKind, PromotionScope
from loyalty.errors import InvalidStateError
from loyalty.ledger import promotions
from loyalty.ledger.models import PromotionVersion
from loyalty.ledger.operation import utc_now

router = gated_router(
    prefix="/v1/promotions", tags=["promotions"], responses=errors(*AUTHENTICATED)
)
OPERATORS = allow(Role.OPERATOR)
PromotionId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$", description="Promotion id.")
]


@router.post(
    "",
    operation_id="promotions.create",
    status_code=201,
    response_model=PromotionPublic,
    summary="Create a promotion (version 1)",
    responses=errors(409, 413),
    openapi_extra=OPERATORS,
)
def create(body: PromotionCreate, principal: PrincipalDep, state: StateDep) -> PromotionPublic:
    change = promotions.PromotionChange(
        campaign=body.campaign,
        name=body.name,
        kind=body.kind,
        value=body.value,
        scope=PromotionScope(
            reward_ids=frozenset(body.reward_ids),
            categories=frozenset(body.categories),
            tiers=frozenset(body.tiers),
        ),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        promo_code=body.promo_code,
    )
    with state.sessions.begin() as session:
        row = promotions.create(
            session, promotion_id=body.promotion_id, change=change, actor=principal.subject
        )
        created = _public(row, now=utc_now())
    audit.record(
        state.sessions, principal, action="promotion.create", target=created.ref, details={}
    )
    return created


@router.post(
    "/{promotion_id}/schedule",
    operation_id="promotions.schedule",
    response_model=PromotionPublic,
    summary="Move the promotion's window (a new version)",
    responses=errors(404, 409),
    openapi_extra=OPERATORS,
)
def schedule(
    promotion_id: PromotionId, body: PromotionSchedule, principal: PrincipalDep, state: StateDep
) -> PromotionPublic:
    return _new_version(
        state,
        principal,
        promotion_id,
        action="promotion.schedule",
        starts_at=body.starts_at,
        ends_at=body.ends_at,
    )


@router.post(
    "/{promotion_id}/end",
    operation_id="promotions.end",
    response_model=PromotionPublic,
    summary="End the promotion now (a new version whose ends_at is now)",
    responses=errors(404, 409),
    openapi_extra=OPERATORS,
)
def end(promotion_id: PromotionId, principal: PrincipalDep, state: StateDep) -> PromotionPublic:
    return _new_version(state, principal, promotion_id, action="promotion.end", ends_at=None)


@router.get(
    "",
    operation_id="promotions.list",
    response_model=PromotionsPublic,
    summary="List promotions as they stand (current versions), optionally by status",
    openapi_extra=OPERATORS,
)
def list_all(
    principal: PrincipalDep,
    session: SessionDep,
    status: Annotated[PromotionStatus | None, Query(description="active | scheduled | ended")] = (
        None
    ),
    cursor: KeysetCursor = None,
    limit: Limit = 100,
) -> PromotionsPublic:
    now = utc_now()
    rows = [_public(row, now=now) for row in promotions.current_versions(session)]
    chosen = [r for r in rows if status is None or r.status == status]
    data, next_cursor = window(chosen, cursor, limit, key=lambda p: (p.promotion_id,))
    return PromotionsPublic(data=data, next_cursor=next_cursor)


@router.get(
    "/{promotion_id}",
    operation_id="promotions.get",
    response_model=PromotionDetail,
    summary="A promotion as it stands, with every version",
    responses=errors(404),
    openapi_extra=OPERATORS,
)
def get(promotion_id: PromotionId, principal: PrincipalDep, session: SessionDep) -> PromotionDetail:
    rows = promotions.versions(session, promotion_id=promotion_id)
    current = _public(rows[-1], now=utc_now())
    return PromotionDetail(**current.model_dump(), versions=[_version(row) for row in rows])


def _new_version(
    state: StateDep,
    principal: PrincipalDep,
    promotion_id: str,
    *,
    action: str,
    ends_at: dt.datetime | None,
    starts_at: dt.datetime | None = None,
) -> PromotionPublic:
    now = utc_now()
    with state.sessions.begin() as session:
        latest = promotions.versions(session, promotion_id=promotion_id)[-1]
        change = promotions.change_of(latest)
        if action == "promotion.end":
            if change.ends_at is not None and change.ends_at <= now:
                raise InvalidStateError(f"promotion {promotion_id} has already ended")
            # a promotion that has not started yet ends before it starts: it never applies
            start = min(change.starts_at, now - dt.timedelta(microseconds=1))
            change = dataclasses.replace(change, starts_at=start, ends_at=now)
        else:
            assert starts_at is not None
            change = dataclasses.replace(change, starts_at=starts_at, ends_at=ends_at)
        row = promotions.add_version(
            session, promotion_id=promotion_id, change=change, actor=principal.subject
        )
        changed = _public(row, now=now)
    audit.record(state.sessions, principal, action=action, target=changed.ref, details={})
    return changed


def _version(row: PromotionVersion) -> PromotionVersionPublic:
    return PromotionVersionPublic(
        promotion_id=row.promotion_id,
        version=row.version,
        ref=f"{row.promotion_id}@{row.version}",
        campaign=row.campaign,
        name=row.name,
        kind=PromotionKind(row.kind),
        value=row.value,
        reward_ids=list(row.reward_ids),
        categories=list(row.categories),
        tiers=list(row.tiers),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        promo_code=row.promo_code,
        changed_by=row.changed_by,
        created_at=row.created_at,
    )


def _public(row: PromotionVersion, *, now: dt.datetime) -> PromotionPublic:
    status: PromotionStatus
    if row.ends_at is not None and row.ends_at <= now:
        status = "ended"
    elif row.starts_at > now:
        status = "scheduled"
    else:
        status = "active"
    return PromotionPublic(**_version(row).model_dump(), status=status)

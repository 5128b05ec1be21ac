"""A member's balance, ledger and catalog: the member's own customer token, staff, operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from fastapi.concurrency import run_in_threadpool

from loyalty.api import views
from loyalty.api.access import allow
from loyalty.api.auth import PEOPLE
from loyalty.api.catalog_schemas import MemberCatalogPublic
from loyalty.api.deps import LedgerDep, PrincipalDep, StateDep
from loyalty.api.member_catalog import member_catalog
from loyalty.api.paging import CURSOR_DESCRIPTION, KeysetCursor, Limit, window
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import ID_PATTERN, BalancePublic, LedgerPage

router = gated_router(prefix="/v1/members", tags=["members"], responses=errors(*AUTHENTICATED, 404))
# The ledger's cursor is the last entry_id shown: the next page is older than it.
LEDGER_CURSOR_PATTERN = r"^[1-9][0-9]{0,17}$"
MemberId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="Member id.")]


@router.get(
    "/{member_id}/balance",
    operation_id="members.balance.get",
    response_model=BalancePublic,
    summary="Points balance",
    openapi_extra=allow(*PEOPLE),
)
def get_balance(member_id: MemberId, principal: PrincipalDep, ledger: LedgerDep) -> BalancePublic:
    principal.require_member(member_id)
    return views.balance(ledger.balance(member_id=member_id))


@router.get(
    "/{member_id}/ledger",
    operation_id="members.ledger.list",
    response_model=LedgerPage,
    summary="Ledger entries, newest first",
    openapi_extra=allow(*PEOPLE),
)
def get_ledger(
    member_id: MemberId,
    principal: PrincipalDep,
    ledger: LedgerDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    cursor: Annotated[
        str | None,
        Query(pattern=LEDGER_CURSOR_PATTERN, max_length=18, description=CURSOR_DESCRIPTION),
    ] = None,
    before: Annotated[
        int | None,
        Query(
            ge=1,
            le=2**62,
            deprecated=True,
            description="Deprecated: pass `cursor`. Only entries older than this entry_id.",
        ),
    ] = None,
) -> LedgerPage:
    principal.require_member(member_id)
    before_id = int(cursor) if cursor is not None else before
    entries = ledger.entries(member_id=member_id, limit=limit, before_id=before_id)
    next_cursor = str(entries[-1].entry_id) if len(entries) == limit else None
    return LedgerPage(data=[views.entry(e) for e in entries], next_cursor=next_cursor)


@router.get(
    "/{member_id}/rewards",
    operation_id="members.rewards.list",
    response_model=MemberCatalogPublic,
    summary="Every active reward at the member's price, with every reason it cannot be redeemed",
    openapi_extra=allow(*PEOPLE),
)
async def get_member_rewards(
    member_id: MemberId,
    principal: PrincipalDep,
    state: StateDep,
    cursor: KeysetCursor = None,
    limit: Limit = 100,
) -> MemberCatalogPublic:
    """The saga's own pricing and rules for one unit of each reward, read now."""
    principal.require_member(member_id)
    catalog = await run_in_threadpool(
        lambda: member_catalog(
            state.sessions, state.rules(), member_id=member_id, channel=principal.channel
        )
    )
    data, next_cursor = window(catalog.data, cursor, limit, key=lambda r: (r.reward_id,))
    return catalog.model_copy(update={"data": data, "next_cursor": next_cursor})

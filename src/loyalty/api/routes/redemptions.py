"""Start, dry-run, list and read redemptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from loyalty.api import audit, dry_run, lookups, views
from loyalty.api.access import allow
from loyalty.api.auth import PEOPLE, STAFF, Role
from loyalty.api.deps import GatewayDep, PrincipalDep, RequestIdDep, SessionDep, StateDep
from loyalty.api.paging import KeysetCursor, time_id_after, time_id_cursor
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import (
    ID_PATTERN,
    MAX_WAIT_S,
    REDEMPTION_ID_PATTERN,
    RedemptionAccepted,
    RedemptionCheckBody,
    RedemptionCreate,
    RedemptionPublic,
    RedemptionsPublic,
    ValidationResult,
)
from loyalty.contracts.redemption import IdScope, RedemptionRequest, RedemptionStatus
from loyalty.ledger.redemptions import list_redemptions
from loyalty.ledger.vouchers import masked

router = gated_router(prefix="/v1/redemptions", tags=["redemptions"])
RedemptionId = Annotated[
    str,
    Path(
        pattern=REDEMPTION_ID_PATTERN,
        max_length=267,
        description="`redemption-<member|staff>~<member_id>~<request_id>`.",
    ),
]


Wait = Annotated[
    float | None,
    Query(
        ge=0,
        le=MAX_WAIT_S,
        description="Seconds to wait for the saga to end: its terminal state (200) if it ends"
        " in time, else 202 as without it.",
    ),
]


@router.post(
    "",
    operation_id="redemptions.create",
    status_code=202,
    response_model=RedemptionAccepted,
    summary="Start a redemption (idempotent by request_id); optionally wait for its end",
    responses={
        200: {"model": RedemptionPublic, "description": "Ended within `wait`: its final state."},
        **errors(*AUTHENTICATED, 404, 409, 413),
    },
    openapi_extra=allow(Role.CUSTOMER, *STAFF),
)
async def create_redemption(
    body: RedemptionCreate,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
    request_id: RequestIdDep,
    response: Response,
    wait: Wait = None,
) -> RedemptionAccepted | JSONResponse:
    """Start the saga; the same `request_id` and body give the same redemption, another 409.

    With `wait`, the answer is the redemption's final state (200) when it ends within
    that many seconds; one long poll on the workflow's result, no extra call without it.
    """
    principal.require_member(body.member_id)
    await lookups.require_member_and_reward(
        state.sessions, member_id=body.member_id, reward_id=body.reward_id
    )
    request = RedemptionRequest(
        **body.model_dump(),
        channel=principal.channel,
        requested_by=principal.subject,
        trace_id=request_id,
    )
    memo = {"trace_id": request_id, "requested_by": principal.subject}
    scope = IdScope.MEMBER if principal.is_customer else IdScope.STAFF
    started = await gateway.start_redemption(request, scope=scope, memo=memo)
    redemption_id = started.redemption_id
    await run_in_threadpool(
        audit.record,
        state.sessions,
        principal,
        action="redemption.create",
        target=redemption_id,
        details={"request_id": body.request_id, "trace_id": request_id},
    )
    link = views.redemption_link(redemption_id)
    response.headers["Location"] = link.self
    if wait and await gateway.ended(redemption_id, wait_s=wait):
        public = await _public(principal, state, gateway, redemption_id)
        return JSONResponse(
            public.model_dump(mode="json"), status_code=200, headers={"Location": link.self}
        )
    status = started.status or await _stored_status(state, redemption_id)
    return RedemptionAccepted(
        redemption_id=redemption_id, request_id=body.request_id, status=status, links=link
    )


async def _stored_status(state: StateDep, redemption_id: str) -> RedemptionStatus:
    """A closed run's status, as the saga mirrored it (running until the mirror has it)."""
    stored = await lookups.stored_status(state.sessions, redemption_id)
    return stored or RedemptionStatus.RUNNING


@router.post(
    "/validate",
    operation_id="redemptions.validate",
    response_model=ValidationResult,
    summary="Dry run: balance, eligibility, fraud verdict and price, no side effects",
    responses=errors(*AUTHENTICATED, 404, 413),
    openapi_extra=allow(Role.CUSTOMER, *STAFF),
)
async def validate_redemption(
    body: RedemptionCheckBody, principal: PrincipalDep, state: StateDep
) -> ValidationResult:
    principal.require_member(body.member_id)
    await lookups.require_member_and_reward(
        state.sessions, member_id=body.member_id, reward_id=body.reward_id
    )
    return await run_in_threadpool(
        lambda: dry_run.validate(
            state.sessions,
            state.rules(),
            body,
            channel=principal.channel,
            for_customer=principal.is_customer,
        )
    )


@router.get(
    "",
    operation_id="redemptions.list",
    response_model=RedemptionsPublic,
    summary="List redemptions by member and status (support staff, operators)",
    responses=errors(*AUTHENTICATED),
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
def list_all(
    principal: PrincipalDep,
    session: SessionDep,
    member_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=64)] = None,
    status: RedemptionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: KeysetCursor = None,
    offset: Annotated[
        int, Query(ge=0, le=100_000, deprecated=True, description="Deprecated: pass `cursor`.")
    ] = 0,
) -> RedemptionsPublic:
    after = time_id_after(cursor)  # a keyset: (created_at, id) of the last one shown
    rows = list_redemptions(
        session,
        member_id=member_id,
        status=status.value if status else None,
        limit=limit + 1,  # one more says whether a next page exists
        offset=0 if after else offset,
        after=after,
    )
    following = time_id_cursor(rows, limit, lambda r: (r.created_at, r.id))
    return RedemptionsPublic(
        data=[views.summary(row) for row in rows[:limit]], next_cursor=following
    )


@router.get(
    "/{redemption_id}",
    operation_id="redemptions.get",
    response_model=RedemptionPublic,
    summary="Live state while running, stored outcome after",
    responses=errors(*AUTHENTICATED, 404),
    openapi_extra=allow(*PEOPLE),
)
async def get_one(
    redemption_id: RedemptionId, principal: PrincipalDep, state: StateDep, gateway: GatewayDep
) -> RedemptionPublic:
    return await _public(principal, state, gateway, redemption_id)


async def _public(
    principal: PrincipalDep, state: StateDep, gateway: GatewayDep, redemption_id: str
) -> RedemptionPublic:
    """What a caller may see of one redemption: the code for its member, masked for staff."""
    loaded = await lookups.load_redemption(gateway, state.sessions, redemption_id)
    found = loaded.state
    principal.require_member(found.member_id)
    code = await lookups.voucher_code(state.sessions, found)
    shown = code if principal.is_customer else (masked(code) if code else None)
    public = views.redemption(
        found, live=loaded.live, live_state_unavailable=loaded.unanswered, voucher_code=shown
    )
    # require_member made sure a customer reads their own; staff see the code masked, so
    # they can match a report but never spend it.
    return views.customer_redemption(public) if principal.is_customer else public

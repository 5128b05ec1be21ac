"""Act on a redemption: cancel (owner, support), approve / reject a review (support), refund."""

from __future__ import annotations

from fastapi import Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from loyalty import errors as loyalty_errors
from loyalty.api import audit, lookups
from loyalty.api.access import allow
from loyalty.api.auth import STAFF, Principal, Role
from loyalty.api.deps import GatewayDep, PrincipalDep, StateDep
from loyalty.api.errors import TooLateError
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.routes.redemptions import RedemptionId
from loyalty.api.schemas import ActionResult, CancelBody, RefundCreate, RefundPublic, ReviewBody
from loyalty.contracts.redemption import (
    UPDATE_APPROVE,
    UPDATE_CANCEL,
    UPDATE_REJECT,
    CancelRequest,
    RefundRequest,
    RefundState,
    RefundStatus,
    ReviewDecision,
)

router = gated_router(
    prefix="/v1/redemptions", tags=["redemptions"], responses=errors(*AUTHENTICATED, 404, 409, 413)
)


async def _owner(gateway: GatewayDep, principal: Principal, redemption_id: str) -> None:
    """404 for an unknown redemption, 403 for a customer reaching for another member's."""
    started = await gateway.started_request(redemption_id)
    if started is None:
        raise loyalty_errors.NotFoundError(f"redemption {redemption_id} not found")
    principal.require_member(started.member_id)


async def _act(
    state: StateDep,
    gateway: GatewayDep,
    principal: Principal,
    redemption_id: str,
    *,
    update: str,
    payload: BaseModel,
    reason: str,
    closed: loyalty_errors.LoyaltyError,
) -> ActionResult:
    await _owner(gateway, principal, redemption_id)
    result = await gateway.update(redemption_id, update, payload, closed=lambda: closed)
    await run_in_threadpool(
        audit.record,
        state.sessions,
        principal,
        action=f"redemption.{update}",
        target=redemption_id,
        reason=reason,
    )
    if result is not None:
        return ActionResult(redemption_id=redemption_id, **result.model_dump())
    current = await lookups.load_redemption(gateway, state.sessions, redemption_id)
    return ActionResult(
        redemption_id=redemption_id,
        accepted=True,
        status=current.state.status,
        message=f"{update} accepted; still in progress",
    )


@router.post(
    "/{redemption_id}/cancel",
    operation_id="redemptions.cancel",
    response_model=ActionResult,
    summary="Cancel",
    openapi_extra=allow(Role.CUSTOMER, *STAFF),
)
async def cancel(
    redemption_id: RedemptionId,
    body: CancelBody,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> ActionResult:
    """Compensates what was done; 409 `too_late` once points are being captured or it closed."""
    return await _act(
        state,
        gateway,
        principal,
        redemption_id,
        update=UPDATE_CANCEL,
        payload=CancelRequest(requested_by=principal.subject, reason=body.reason),
        reason=body.reason,
        closed=TooLateError("too late to cancel: the redemption has already finished"),
    )


@router.post(
    "/{redemption_id}/approve",
    operation_id="redemptions.approve",
    response_model=ActionResult,
    summary="Approve a fraud review (not by whoever started the redemption)",
    openapi_extra=allow(*STAFF),
)
async def approve(
    redemption_id: RedemptionId,
    body: ReviewBody,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> ActionResult:
    return await _review(state, gateway, principal, redemption_id, body, UPDATE_APPROVE)


@router.post(
    "/{redemption_id}/reject",
    operation_id="redemptions.reject",
    response_model=ActionResult,
    summary="Reject a fraud review (not by whoever started the redemption)",
    openapi_extra=allow(*STAFF),
)
async def reject(
    redemption_id: RedemptionId,
    body: ReviewBody,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> ActionResult:
    return await _review(state, gateway, principal, redemption_id, body, UPDATE_REJECT)


async def _review(
    state: StateDep,
    gateway: GatewayDep,
    principal: Principal,
    redemption_id: str,
    body: ReviewBody,
    update: str,
) -> ActionResult:
    return await _act(
        state,
        gateway,
        principal,
        redemption_id,
        update=update,
        payload=ReviewDecision(
            agent_id=principal.subject, reason=body.reason, role=principal.role.value
        ),
        reason=body.reason,
        closed=loyalty_errors.InvalidStateError("the redemption has already finished"),
    )


@router.post(
    "/{redemption_id}/refund",
    operation_id="redemptions.refund",
    response_model=RefundPublic,
    summary="Refund all or part (support agents, operators; idempotent by request_id)",
    responses={202: {"model": RefundPublic, "description": "Accepted, still running."}},
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
async def refund(
    redemption_id: RedemptionId,
    body: RefundCreate,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
    response: Response,
) -> RefundPublic:
    if await lookups.stored_state(state.sessions, redemption_id) is None:
        raise loyalty_errors.NotFoundError(f"redemption {redemption_id} not found")
    request = RefundRequest(
        redemption_id=redemption_id,
        request_id=body.request_id,
        quantity=body.quantity,
        reason=body.reason,
        actor=principal.subject,
        actor_role=principal.role.value,
    )
    refund_id, result = await gateway.refund(request)
    await run_in_threadpool(
        audit.record,
        state.sessions,
        principal,
        action="redemption.refund",
        target=redemption_id,
        reason=body.reason,
        details={"refund_id": refund_id, "quantity": body.quantity},
    )
    if result is None:
        response.status_code = 202
        live = await gateway.live(refund_id, RefundState)
        waiting = live is not None and live.status == RefundStatus.AWAITING_APPROVAL
        return RefundPublic(
            refund_id=refund_id,
            redemption_id=redemption_id,
            status="awaiting_approval" if waiting else "running",
            review_reasons=live.review_reasons if live else [],
        )
    return RefundPublic(status="completed", **result.model_dump())

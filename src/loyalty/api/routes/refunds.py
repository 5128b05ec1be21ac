"""Loyalty operations decide refunds that POL-REFUND-001 sends to review (operators only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from fastapi.concurrency import run_in_threadpool

from loyalty import errors as loyalty_errors
from loyalty.api import audit
from loyalty.api.access import allow
from loyalty.api.auth import Principal, Role
from loyalty.api.deps import GatewayDep, PrincipalDep, StateDep
from loyalty.api.gateway import TemporalGateway
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import ReviewBody
from loyalty.contracts.redemption import (
    UPDATE_APPROVE,
    UPDATE_REJECT,
    OperatorAction,
    RefundRequest,
    RefundUpdateResult,
)

router = gated_router(
    prefix="/v1/refunds", tags=["refunds"], responses=errors(*AUTHENTICATED, 404, 409, 413)
)
RefundId = Annotated[
    str,
    Path(
        pattern=r"^refund-system~[A-Za-z0-9._:~-]{1,500}$",
        description="`refund-system~<redemption_id>~<request_id>`, as returned on request.",
    ),
]


async def _decide(
    state: StateDep,
    gateway: TemporalGateway,
    principal: Principal,
    refund_id: str,
    *,
    update: str,
    reason: str,
) -> RefundUpdateResult:
    if await gateway.started(refund_id, RefundRequest) is None:
        raise loyalty_errors.NotFoundError(f"refund {refund_id} not found")
    action = OperatorAction(operator_id=principal.subject, reason=reason)
    result = await gateway.update_as(
        refund_id,
        update,
        action,
        result_type=RefundUpdateResult,
        closed=lambda: loyalty_errors.InvalidStateError(f"refund {refund_id} is already closed"),
    )
    await run_in_threadpool(
        audit.record,
        state.sessions,
        principal,
        action=f"refund.{update}",
        target=refund_id,
        reason=reason,
    )
    if result is None:
        raise loyalty_errors.UnavailableError("the decision was accepted but not yet applied")
    return result


@router.post(
    "/{refund_id}/approve",
    operation_id="refunds.approve",
    response_model=RefundUpdateResult,
    summary="Approve a refund in review",
    openapi_extra=allow(Role.OPERATOR),
)
async def approve(
    refund_id: RefundId,
    body: ReviewBody,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> RefundUpdateResult:
    """Posts the refund (voids the units, then reverses the points); not your own request."""
    return await _decide(
        state, gateway, principal, refund_id, update=UPDATE_APPROVE, reason=body.reason
    )


@router.post(
    "/{refund_id}/reject",
    operation_id="refunds.reject",
    response_model=RefundUpdateResult,
    summary="Reject a refund in review",
    openapi_extra=allow(Role.OPERATOR),
)
async def reject(
    refund_id: RefundId,
    body: ReviewBody,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> RefundUpdateResult:
    """Refuses the refund: no unit is voided and no point comes back."""
    return await _decide(
        state, gateway, principal, refund_id, update=UPDATE_REJECT, reason=body.reason
    )

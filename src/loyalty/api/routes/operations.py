"""Operators unblock a ``needs_attention`` redemption: retry its compensations, or resolve it.

The same client functions as ``loyalty retry-compensations`` and ``loyalty
resolve`` (``loyalty.operations``); each call is written to the audit log
with its reason, and the workflow records the operator in its history.
"""

from __future__ import annotations

from fastapi.concurrency import run_in_threadpool

from loyalty import operations
from loyalty.api import audit
from loyalty.api.access import allow
from loyalty.api.auth import Principal, Role
from loyalty.api.deps import GatewayDep, PrincipalDep, StateDep
from loyalty.api.gateway import OperatorCall
from loyalty.api.queue_schemas import OperatorBody
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.routes.redemptions import RedemptionId
from loyalty.api.schemas import ActionResult
from loyalty.contracts.redemption import OperatorAction

router = gated_router(
    prefix="/v1/redemptions", tags=["operations"], responses=errors(*AUTHENTICATED, 404, 409, 413)
)


@router.post(
    "/{redemption_id}/retry-compensations",
    operation_id="redemptions.retry_compensations",
    response_model=ActionResult,
    summary="Run the failed compensations of a needs_attention redemption again (audited)",
    openapi_extra=allow(Role.OPERATOR),
)
async def retry_compensations(
    redemption_id: RedemptionId,
    body: OperatorBody,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> ActionResult:
    """409 unless the redemption is `needs_attention`."""
    call = operations.retry_compensations
    return await _act(state, gateway, principal, redemption_id, body, call, "retry_compensations")


@router.post(
    "/{redemption_id}/resolve",
    operation_id="redemptions.resolve",
    response_model=ActionResult,
    summary="Close a needs_attention redemption fixed by hand (audited)",
    openapi_extra=allow(Role.OPERATOR),
)
async def resolve(
    redemption_id: RedemptionId,
    body: OperatorBody,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> ActionResult:
    """409 unless the redemption is `needs_attention`."""
    return await _act(state, gateway, principal, redemption_id, body, operations.resolve, "resolve")


async def _act(
    state: StateDep,
    gateway: GatewayDep,
    principal: Principal,
    redemption_id: str,
    body: OperatorBody,
    call: OperatorCall,
    name: str,
) -> ActionResult:
    action = OperatorAction(operator_id=principal.subject, reason=body.reason)
    result = await gateway.operator_action(redemption_id, call, action)
    await run_in_threadpool(
        audit.record,
        state.sessions,
        principal,
        action=f"redemption.{name}",
        target=redemption_id,
        reason=body.reason,
    )
    return ActionResult(redemption_id=redemption_id, **result.model_dump())

"""Earning on purchases: a point of sale or a shop reports orders and returns (integrations only).

An order id is the accrual's idempotency key within the integration that
sent it (the token's subject scopes it, like a redemption's request id).
Answers come from PostgreSQL once the workflow has recorded the step, so they
show what the ledger holds, returns after settlement included.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Path, Response
from fastapi.concurrency import run_in_threadpool

from loyalty import errors as loyalty_errors
from loyalty.api import audit, lookups, views
from loyalty.api.access import allow
from loyalty.api.accrual_schemas import (
    AccrualCreate,
    AccrualPublic,
    AccrualReturnCreate,
    AccrualReturnPublic,
)
from loyalty.api.auth import Principal, Role
from loyalty.api.deps import GatewayDep, LedgerDep, PrincipalDep, StateDep
from loyalty.api.errors import FieldError
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import ID_PATTERN
from loyalty.contracts.accrual import (
    AccrualRequest,
    ReturnPurchase,
    accrual_workflow_id,
)
from loyalty.ledger.repository import Ledger

router = gated_router(
    prefix="/v1/members", tags=["accruals"], responses=errors(*AUTHENTICATED, 404, 409, 413)
)
MemberId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="Member id.")]
OrderId = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$", description="The order id as posted."),
]
INTEGRATIONS = allow(Role.INTEGRATION)


def _accrual_id(principal: Principal, member_id: str, order_id: str) -> str:
    return accrual_workflow_id(source=principal.subject, member_id=member_id, order_id=order_id)


async def _stored(ledger: Ledger, accrual_id: str, order_id: str) -> AccrualPublic:
    view = await run_in_threadpool(ledger.accrual, accrual_id=accrual_id)
    if view is None:
        raise loyalty_errors.NotFoundError(f"order {order_id} has no accrual for this member")
    return AccrualPublic(accrual_id=accrual_id, status=view.status, accrual=views.accrual(view))


@router.post(
    "/{member_id}/accruals",
    operation_id="members.accruals.create",
    response_model=AccrualPublic,
    summary="Report a purchase: its points are pending, then available (idempotent by order_id)",
    responses={202: {"model": AccrualPublic, "description": "Accepted, still being recorded."}},
    openapi_extra=INTEGRATIONS,
)
async def create_accrual(
    member_id: MemberId,
    body: AccrualCreate,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
    ledger: LedgerDep,
    response: Response,
) -> AccrualPublic:
    if body.currency != state.settings.program_currency:
        raise FieldError("currency", f"the program earns in {state.settings.program_currency}")
    await lookups.require_member(state.sessions, member_id=member_id)
    accrual_id = _accrual_id(principal, member_id, body.order_id)
    request = AccrualRequest(
        member_id=member_id,
        order_id=body.order_id,
        amount=Decimal(body.amount),
        currency=body.currency,
        source=principal.subject,
        actor=principal.subject,
    )
    if await gateway.accrue(request, accrual_id) is None:
        response.status_code = 202
        return AccrualPublic(accrual_id=accrual_id, status="recording", accrual=None)
    return await _stored(ledger, accrual_id, body.order_id)


@router.get(
    "/{member_id}/accruals/{order_id}",
    operation_id="members.accruals.get",
    response_model=AccrualPublic,
    summary="An order's points: pending, available, returned",
    openapi_extra=INTEGRATIONS,
)
async def get_accrual(
    member_id: MemberId, order_id: OrderId, principal: PrincipalDep, ledger: LedgerDep
) -> AccrualPublic:
    return await _stored(ledger, _accrual_id(principal, member_id, order_id), order_id)


@router.post(
    "/{member_id}/accruals/{order_id}/reverse",
    operation_id="members.accruals.reverse",
    response_model=AccrualReturnPublic,
    summary="Report a return (all or part): pending points are cancelled, available ones reversed",
    responses={202: {"model": AccrualReturnPublic, "description": "Accepted, still running."}},
    openapi_extra=INTEGRATIONS,
)
async def reverse_accrual(
    member_id: MemberId,
    order_id: OrderId,
    body: AccrualReturnCreate,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
    ledger: LedgerDep,
    response: Response,
) -> AccrualReturnPublic:
    """Idempotent by ``return_id`` once it succeeded; a refused return may be sent
    again, corrected, with the same id. Points already spent are not taken below zero: the
    shortfall is recorded as owed, recovered from future earning, and announced
    (``accrual.shortfall`` webhook) so the member is told (POL-REFUND-001)."""
    accrual_id = _accrual_id(principal, member_id, order_id)
    await _stored(ledger, accrual_id, order_id)
    amount = Decimal(body.amount) if body.amount is not None else None
    if amount == 0:
        raise FieldError("amount", "a return must be positive")
    request = ReturnPurchase(
        return_id=body.return_id,
        amount=amount,
        reason=body.reason or "",
        actor=principal.subject,
    )
    outcome = await gateway.return_purchase(accrual_id, member_id, request)
    await run_in_threadpool(
        audit.record,
        state.sessions,
        principal,
        action="accrual.return",
        target=accrual_id,
        reason=body.reason or "",
        details={"return_id": body.return_id, "amount": str(body.amount or "rest")},
    )
    if outcome is None:
        response.status_code = 202
        return AccrualReturnPublic(accrual_id=accrual_id, status="running")
    return AccrualReturnPublic(accrual_id=accrual_id, status="completed", outcome=outcome)

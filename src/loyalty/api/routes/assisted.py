"""Assisted cases (support agents) and propose-only reward proposals (support agents, operators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response
from fastapi.concurrency import run_in_threadpool

from loyalty import errors as loyalty_errors
from loyalty.api import audit, lookups
from loyalty.api.access import allow, approvers
from loyalty.api.assisted_schemas import CaseAccepted, CaseCreate, CaseDecisionBody, CaseEditBody
from loyalty.api.auth import STAFF, Principal, Role
from loyalty.api.deps import GatewayDep, PrincipalDep, StateDep
from loyalty.api.errors import TooLateError
from loyalty.api.gateway import TemporalGateway
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.contracts import assisted as a
from loyalty.contracts.redemption import ReviewDecision

router = gated_router(tags=["assisted"])
CaseId = Annotated[
    str,
    Path(
        pattern=r"^assisted-[A-Za-z0-9][A-Za-z0-9._:-]{0,54}$",
        description="`assisted-<request_id>`.",
    ),
]
_CASE_KEYS = ("member_id", "reason", "purpose", "severity", "reward_id")


@router.post(
    "/v1/assisted-redemptions",
    operation_id="assisted_redemptions.create",
    status_code=202,
    response_model=CaseAccepted,
    summary="Open an assisted case: propose, check the guardrails, execute or wait for approval",
    responses=errors(*AUTHENTICATED, 404, 409, 413),
    openapi_extra=allow(*STAFF),
)
async def create_case(
    body: CaseCreate,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
    response: Response,
) -> CaseAccepted:
    await lookups.require_member(state.sessions, member_id=body.member_id)
    case_id = a.assisted_workflow_id(body.request_id)
    request = a.AssistedRequest(**body.model_dump(), requested_by=principal.subject)
    await gateway.start(a.ASSISTED_WORKFLOW, request, case_id, keys=_CASE_KEYS)
    await run_in_threadpool(
        audit.record,
        state.sessions,
        principal,
        action="assisted.create",
        target=case_id,
        reason=body.reason[:500],
    )
    try:
        live = await gateway.query_or_result(case_id, a.AssistedState)
    except loyalty_errors.UnavailableError:  # started, but no worker has run it yet
        live = None
    response.headers["Location"] = f"/v1/assisted-redemptions/{case_id}"
    return CaseAccepted(
        case_id=case_id,
        status=live.status if live else a.AssistedStatus.PROPOSING,
        links={"self": f"/v1/assisted-redemptions/{case_id}"},
    )


@router.get(
    "/v1/assisted-redemptions/{case_id}",
    operation_id="assisted_redemptions.get",
    response_model=a.AssistedState,
    summary="The case: proposal, citations with the quoted policy text, verdict and state",
    responses=errors(*AUTHENTICATED, 404),
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
async def get_case(
    case_id: CaseId, principal: PrincipalDep, gateway: GatewayDep
) -> a.AssistedState:
    case = await gateway.query_or_result(case_id, a.AssistedState)
    if case is None:
        raise loyalty_errors.NotFoundError(f"assisted case {case_id} not found")
    return case


async def _decide(
    state: StateDep,
    gateway: TemporalGateway,
    principal: Principal,
    case_id: str,
    *,
    update: str,
    payload: ReviewDecision | a.EditDecision,
) -> a.AssistedUpdateResult:
    if await gateway.started(case_id, a.AssistedRequest) is None:
        raise loyalty_errors.NotFoundError(f"assisted case {case_id} not found")
    result = await gateway.update_as(
        case_id,
        update,
        payload,
        result_type=a.AssistedUpdateResult,
        closed=lambda: TooLateError(f"assisted case {case_id} is already closed"),
    )
    await run_in_threadpool(
        audit.record,
        state.sessions,
        principal,
        action=f"assisted.{update}",
        target=case_id,
        reason=payload.reason,
    )
    return result or a.AssistedUpdateResult(
        accepted=True, status=a.AssistedStatus.EXECUTING, message="accepted; still executing"
    )


_DECISION_RESPONSES = errors(*AUTHENTICATED, 404, 409, 413)


@router.post(
    "/v1/assisted-redemptions/{case_id}/approve",
    operation_id="assisted_redemptions.approve",
    response_model=a.AssistedUpdateResult,
    summary="Approve the proposal (approver roles of POL-APPROVAL-001; not its requester)",
    responses=_DECISION_RESPONSES,
    openapi_extra=approvers(Role.SUPPORT_LEAD, Role.OPERATOR),
)
async def approve_case(
    case_id: CaseId,
    body: CaseDecisionBody,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> a.AssistedUpdateResult:
    decision = ReviewDecision(
        agent_id=principal.subject, reason=body.reason, role=principal.role.value
    )
    return await _decide(
        state, gateway, principal, case_id, update=a.UPDATE_APPROVE, payload=decision
    )


@router.post(
    "/v1/assisted-redemptions/{case_id}/reject",
    operation_id="assisted_redemptions.reject",
    response_model=a.AssistedUpdateResult,
    summary="Reject the proposal; nothing is executed",
    responses=_DECISION_RESPONSES,
    openapi_extra=approvers(Role.SUPPORT_LEAD, Role.OPERATOR),
)
async def reject_case(
    case_id: CaseId,
    body: CaseDecisionBody,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> a.AssistedUpdateResult:
    decision = ReviewDecision(
        agent_id=principal.subject, reason=body.reason, role=principal.role.value
    )
    return await _decide(
        state, gateway, principal, case_id, update=a.UPDATE_REJECT, payload=decision
    )


@router.post(
    "/v1/assisted-redemptions/{case_id}/edit",
    operation_id="assisted_redemptions.edit",
    response_model=a.AssistedUpdateResult,
    summary="Approve an edited credit, only within the guardrail limits",
    responses=_DECISION_RESPONSES,
    openapi_extra=approvers(Role.SUPPORT_LEAD, Role.OPERATOR),
)
async def edit_case(
    case_id: CaseId,
    body: CaseEditBody,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> a.AssistedUpdateResult:
    edit = a.EditDecision(
        agent_id=principal.subject,
        reason=body.reason,
        points=body.points,
        role=principal.role.value,
    )
    return await _decide(state, gateway, principal, case_id, update=a.UPDATE_EDIT, payload=edit)


@router.post(
    "/v1/reward-proposals",
    operation_id="reward_proposals.create",
    response_model=a.ProposalResult,
    summary="Propose only: the agent's proposal and the guardrails' verdict, nothing executed",
    responses=errors(*AUTHENTICATED, 404, 409, 413),
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
async def propose(
    body: CaseCreate,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
    response: Response,
) -> a.ProposalResult:
    await lookups.require_member(state.sessions, member_id=body.member_id)
    workflow_id = a.proposal_workflow_id(body.request_id)
    case = a.ProposalCase(**body.model_dump(), requested_by=principal.subject)
    await gateway.start(a.PROPOSAL_WORKFLOW, case, workflow_id, keys=_CASE_KEYS)
    result = await gateway.result(workflow_id, a.ProposalResult)
    if result is None:
        raise loyalty_errors.UnavailableError("the proposal is still being drafted; retry shortly")
    return result

"""Members as staff manage them: enrol, read and correct the profile, freeze, review the tier.

Enrolment is for support staff and operators (a member joins at a desk or
through an operator's import; a point-of-sale integration enrols through the
same route once it holds a role that may). Each change is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response
from fastapi.concurrency import run_in_threadpool
from temporalio.common import WorkflowIDReusePolicy

from loyalty.api.access import allow
from loyalty.api.auth import PEOPLE, STAFF, Principal, Role
from loyalty.api.deps import GatewayDep, PrincipalDep, RequestIdDep, StateDep
from loyalty.api.errors import FieldError
from loyalty.api.freezes import cancel_pending
from loyalty.api.member_schemas import (
    MemberCreate,
    MemberFrozen,
    MemberPublic,
    MemberUpdate,
    StatusChange,
    TierReviewPublic,
)
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import ID_PATTERN
from loyalty.contracts.members import REVIEW_TIERS_WORKFLOW, TierReviewReport, TierReviewRequest
from loyalty.ledger import catalog, members
from loyalty.ledger.members import Actor, Enrolment
from loyalty.ledger.models import Member
from loyalty.ledger.operation import utc_now

router = gated_router(prefix="/v1/members", tags=["members"], responses=errors(*AUTHENTICATED, 404))
REQUIRED_FIELDS = frozenset({"region", "notes"})
MemberId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="Member id.")]


def _actor(principal: Principal) -> Actor:
    return Actor(subject=principal.subject, role=principal.role.value)


def _public(member: Member, *, for_customer: bool = False) -> MemberPublic:
    return MemberPublic(
        member_id=member.id,
        tier=member.tier,
        status=member.status,
        region=member.region,
        joined_on=member.joined_on,
        display_name=member.display_name,
        email=member.email,
        notes=None if for_customer else member.notes,
        tier_changed_on=member.tier_changed_on,
        tier_grace_until=member.tier_grace_until,
    )


@router.post(
    "",
    operation_id="members.create",
    status_code=201,
    response_model=MemberPublic,
    summary="Enrol a member at the lowest tier (idempotent by member_id)",
    responses={
        **errors(409, 413),
        200: {"model": MemberPublic, "description": "Enrolled already."},
    },
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
async def enrol(
    body: MemberCreate, principal: PrincipalDep, state: StateDep, response: Response
) -> MemberPublic:
    enrolment = Enrolment(**body.model_dump())

    def write() -> tuple[MemberPublic, bool]:
        with state.sessions.begin() as session:
            today = utc_now().date()
            member, created = members.enrol(session, enrolment, today=today, by=_actor(principal))
            return _public(member), created

    public, created = await run_in_threadpool(write)
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/members/{public.member_id}"
    return public


@router.get(
    "/{member_id}",
    operation_id="members.get",
    response_model=MemberPublic,
    summary="The member's profile, tier standing and status",
    openapi_extra=allow(*PEOPLE),
)
async def get_member(member_id: MemberId, principal: PrincipalDep, state: StateDep) -> MemberPublic:
    principal.require_member(member_id)

    def read() -> MemberPublic:
        with state.sessions() as session:
            member = catalog.get_member(session, member_id=member_id)
            return _public(member, for_customer=principal.is_customer)

    return await run_in_threadpool(read)


@router.patch(
    "/{member_id}",
    operation_id="members.update",
    response_model=MemberPublic,
    summary="Correct the profile (region, name, e-mail, notes); audited with before and after",
    responses=errors(413),
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
async def update_member(
    member_id: MemberId, body: MemberUpdate, principal: PrincipalDep, state: StateDep
) -> MemberPublic:
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    for name in REQUIRED_FIELDS & {k for k, v in changes.items() if v is None}:
        raise FieldError(name, f"{name} cannot be removed, only changed")
    if not changes:
        raise FieldError("", "nothing to change: send at least one profile field")

    def write() -> MemberPublic:
        with state.sessions.begin() as session:
            member = members.update_profile(
                session,
                member_id=member_id,
                changes=changes,
                reason=body.reason,
                by=_actor(principal),
            )
            return _public(member)

    return await run_in_threadpool(write)


@router.post(
    "/{member_id}/freeze",
    operation_id="members.freeze",
    response_model=MemberFrozen,
    summary="Freeze (POL-SECURITY-001): earns, cannot redeem; pending redemptions cancelled",
    responses=errors(409, 413),
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
async def freeze(
    member_id: MemberId,
    body: StatusChange,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
) -> MemberFrozen:
    """Idempotent: freezing a frozen account changes nothing but cancels what is still pending."""

    def write() -> bool:
        with state.sessions.begin() as session:
            return members.freeze(
                session, member_id=member_id, reason=body.reason, by=_actor(principal)
            )

    changed = await run_in_threadpool(write)
    outcomes = await cancel_pending(
        gateway, state.sessions, principal, member_id=member_id, reason=body.reason
    )
    return MemberFrozen(member_id=member_id, status="frozen", changed=changed, redemptions=outcomes)


@router.post(
    "/{member_id}/unfreeze",
    operation_id="members.unfreeze",
    response_model=MemberPublic,
    summary="Make a frozen account active again (audited)",
    responses=errors(409, 413),
    openapi_extra=allow(*STAFF, Role.OPERATOR),
)
async def unfreeze(
    member_id: MemberId, body: StatusChange, principal: PrincipalDep, state: StateDep
) -> MemberPublic:
    def write() -> MemberPublic:
        with state.sessions.begin() as session:
            members.unfreeze(session, member_id=member_id, reason=body.reason, by=_actor(principal))
            return _public(members.locked(session, member_id=member_id))

    return await run_in_threadpool(write)


@router.post(
    "/{member_id}/tier-review",
    operation_id="members.tier_review",
    response_model=TierReviewPublic,
    summary="Review the member's tier now (POL-TIER-001), as the daily schedule does",
    responses={202: {"model": TierReviewPublic, "description": "Started, still running."}},
    openapi_extra=allow(Role.OPERATOR),
)
async def review_tier(
    member_id: MemberId,
    principal: PrincipalDep,
    state: StateDep,
    gateway: GatewayDep,
    request_id: RequestIdDep,
    response: Response,
) -> TierReviewPublic:
    """Runs the `ReviewTiers` workflow for this member; a change is audited and announced."""
    await run_in_threadpool(_require_member, state, member_id)
    request = TierReviewRequest(
        member_id=member_id, requested_by=principal.subject, role=principal.role.value
    )
    workflow_id = f"tier-review~{member_id}~{request_id}"
    report = await gateway.execute(
        REVIEW_TIERS_WORKFLOW,
        request,
        workflow_id,
        result_type=TierReviewReport,
        reuse=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    if report is None or not report.reviews:
        response.status_code = 202
        return TierReviewPublic(
            member_id=member_id,
            workflow_id=workflow_id,
            completed=False,
            change=None,
            before=None,
            after=None,
            qualifying_points=None,
            grace_until=None,
            reason=None,
        )
    review = report.reviews[0]
    return TierReviewPublic(
        member_id=member_id,
        workflow_id=workflow_id,
        completed=True,
        **review.model_dump(
            include={"change", "before", "after", "qualifying_points", "grace_until", "reason"}
        ),
    )


def _require_member(state: StateDep, member_id: str) -> None:
    with state.sessions() as session:
        catalog.get_member(session, member_id=member_id)

"""Freezing an account (POL-SECURITY-001): the status, then its pending redemptions cancelled.

The frozen status is committed first, so from then on the redemption decision
refuses the member (``member_frozen``). The redemptions already past their
decision are found two ways, because each can lag: Temporal visibility (running
``Redemption`` workflows with the member's ``LoyaltyMemberId``) and the
redemption mirror in PostgreSQL (``running`` or ``awaiting_approval``). Each
gets the saga's own cancel update, which compensates what was done; one past
its point of no return (capture) is reported as not cancelled, with why. A
repeated freeze finds what is still pending and tries again.
"""

from __future__ import annotations

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from loyalty import errors
from loyalty.api import audit
from loyalty.api.auth import Principal
from loyalty.api.gateway import TemporalGateway
from loyalty.api.member_schemas import CancelOutcome
from loyalty.contracts import search
from loyalty.contracts.redemption import REDEMPTION_WORKFLOW, UPDATE_CANCEL, CancelRequest
from loyalty.ledger import members

_PAGE = 100
_MAX_PAGES = 10  # a member with over a thousand sagas in flight is not a freeze's problem


async def cancel_pending(
    gateway: TemporalGateway,
    sessions: sessionmaker[Session],
    principal: Principal,
    *,
    member_id: str,
    reason: str,
) -> list[CancelOutcome]:
    """Cancel every pending redemption of ``member_id``; one outcome per redemption found."""
    found = await _running(gateway, member_id)
    stored = await run_in_threadpool(_stored, sessions, member_id)
    request = CancelRequest(requested_by=principal.subject, reason=f"account frozen: {reason}")
    outcomes = []
    for redemption_id in dict.fromkeys([*found, *stored]):
        outcome = await _cancel(gateway, redemption_id, request)
        if outcome is None:  # closed since the lists were read: nothing was pending
            continue
        if outcome.cancelled:
            await run_in_threadpool(
                audit.record,
                sessions,
                principal,
                action=f"redemption.{UPDATE_CANCEL}",
                target=redemption_id,
                reason=request.reason,
            )
        outcomes.append(outcome)
    return outcomes


async def _running(gateway: TemporalGateway, member_id: str) -> list[str]:
    query = (
        f'WorkflowType = "{REDEMPTION_WORKFLOW}" AND ExecutionStatus = "Running" '
        f'AND {search.MEMBER_ID.name} = "{member_id}"'
    )
    ids: list[str] = []
    token: bytes | None = None
    for _ in range(_MAX_PAGES):
        page, token = await gateway.list_page(query, page_size=_PAGE, token=token)
        ids += [execution.id for execution in page]
        if token is None:
            break
    return ids


def _stored(sessions: sessionmaker[Session], member_id: str) -> list[str]:
    with sessions() as session:
        return list(members.pending_redemptions(session, member_id=member_id))


async def _cancel(
    gateway: TemporalGateway, redemption_id: str, request: CancelRequest
) -> CancelOutcome | None:
    closed = errors.InvalidStateError("the redemption has already finished")
    try:
        result = await gateway.update(redemption_id, UPDATE_CANCEL, request, closed=lambda: closed)
    except errors.LoyaltyError as error:  # too late (capturing) or already cancelling
        if error is closed or "the redemption is already" in error.message:  # it has finished
            return None
        return CancelOutcome(redemption_id=redemption_id, cancelled=False, detail=error.message)
    if result is None:
        return CancelOutcome(redemption_id=redemption_id, cancelled=True, detail="compensating")
    return CancelOutcome(
        redemption_id=redemption_id, cancelled=result.accepted, detail=result.message
    )

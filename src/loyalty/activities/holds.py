"""Holds their saga will never settle: found for reconciliation, expired by the sweeper.

A saga settles its own hold (capture, or release when it unwinds), so an active
hold whose workflow has closed is stranded: an operator terminated the run, or
a bug let it end without its compensation. POL-REDEMPTION-001 says an
uncaptured hold is released after ``hold_expiry_minutes``; the sweeper does it
for holds of closed workflows only. An open workflow still owns its hold (it
may be retrying an unreachable partner for hours), and releasing under it would
race its capture.

Value first, as in refunds: the sweeper voids the workflow's voucher at the
partner (by the fulfil step's key; ``not_found`` also stops a late issue) and
releases the points only when the partner confirms nothing is live. A used
voucher or an unreachable partner keeps the hold, reported for an operator or
the next run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Literal

import structlog
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from loyalty.contracts.maintenance import SWEEP_HOLDS, HoldSweepReport, HoldSweepRequest, SweptHold
from loyalty.contracts.redemption import Step, step_key
from loyalty.errors import InvalidStateError, UnavailableError
from loyalty.ledger.operation import utc_now
from loyalty.ledger.repository import Clock, Ledger
from loyalty.ledger.stranded import SagaHold, active_saga_holds
from loyalty.partners import PartnerClient
from loyalty.partners.errors import PartnerRejectedError, PartnerUnavailableError
from loyalty.policies.book import PolicyBook

log = structlog.get_logger(__name__)


async def stranded_holds(
    client: Client, sessions: sessionmaker[Session], *, member_id: str | None = None
) -> list[SagaHold]:
    """Every active saga hold, of any age, whose workflow is closed: what reconcile reports.

    Raises:
        UnavailableError: Temporal did not answer.
    """

    def active() -> list[SagaHold]:
        with sessions() as session:
            return active_saga_holds(session, member_id=member_id)

    return await holds_of_closed_workflows(client, await asyncio.to_thread(active))


async def holds_of_closed_workflows(client: Client, holds: Sequence[SagaHold]) -> list[SagaHold]:
    """The holds among ``holds`` whose workflow is closed (or unknown to Temporal).

    Raises:
        UnavailableError: Temporal did not answer; nothing can be concluded.
    """
    return [hold for hold in holds if not await _is_running(client, hold.workflow_id)]


async def _is_running(client: Client, workflow_id: str) -> bool:
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:  # never started, or past retention
            return False
        raise UnavailableError(f"Temporal did not describe {workflow_id}: {error}") from error
    return description.status == WorkflowExecutionStatus.RUNNING


class HoldSweepActivities:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ledger: Ledger,
        partner: PartnerClient,
        client: Client,
        policies: PolicyBook,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._ledger = ledger
        self._partner = partner
        self._client = client
        self._policies = policies
        self._clock = clock

    @activity.defn(name=SWEEP_HOLDS)
    async def sweep_expired_holds(self, request: HoldSweepRequest) -> HoldSweepReport:
        """Expire the saga holds older than the policy's limit whose workflow is closed.

        The policy folder and the database are read in a thread: this coroutine shares
        the worker's event loop with every workflow (a first policy read parses the corpus).
        """
        minutes = await asyncio.to_thread(self._policies.hold_expiry_minutes)
        cutoff = self._clock() - dt.timedelta(minutes=minutes)
        old = await asyncio.to_thread(self._old_holds, cutoff, request.limit)
        swept = []
        for hold in await holds_of_closed_workflows(self._client, old):
            activity.heartbeat(hold.hold_id)
            outcome = await asyncio.to_thread(self._expire, hold)
            if outcome is None:
                continue
            log.warning(
                "expired_hold_swept",
                hold_id=hold.hold_id,
                member_id=hold.member_id,
                workflow_id=hold.workflow_id,
                points=hold.points,
                action=outcome.action,
                reason=outcome.reason,
            )
            swept.append(outcome)
        return HoldSweepReport(expiry_minutes=minutes, holds=swept)

    def _old_holds(self, cutoff: dt.datetime, limit: int) -> list[SagaHold]:
        with self._sessions() as session:
            return active_saga_holds(session, created_before=cutoff, limit=limit)

    def _expire(self, hold: SagaHold) -> SweptHold | None:
        """Void, then release; None when the hold was settled meanwhile (nothing to report)."""
        try:
            self._partner.void_voucher(step_key(hold.workflow_id, Step.FULFILL_REWARD))
        except PartnerRejectedError as error:
            return _swept(
                hold,
                "kept",
                f"the partner refused the void ({error.partner_code}); "
                "the member may have used the voucher: an operator decides",
            )
        except PartnerUnavailableError:
            return _swept(hold, "kept", "the partner did not answer; the next run tries again")
        try:
            self._ledger.release(
                hold_id=hold.hold_id,
                idempotency_key=f"{hold.workflow_id}:expire_hold",
                reason=f"hold expired: {hold.workflow_id} closed without settling it",
            )
        except InvalidStateError:  # settled meanwhile (an operator's resolve): not stranded
            return None
        return _swept(hold, "released", "no live voucher at the partner; points and units returned")


def _swept(hold: SagaHold, action: Literal["released", "kept"], reason: str) -> SweptHold:
    return SweptHold(
        hold_id=hold.hold_id,
        member_id=hold.member_id,
        workflow_id=hold.workflow_id,
        points=hold.points,
        units=hold.units,
        action=action,
        reason=reason,
    )

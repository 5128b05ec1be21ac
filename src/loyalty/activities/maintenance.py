"""The scheduled ledger jobs' activities: thin adapters over ``Ledger.expire`` and ``.reconcile``.

Expiry is idempotent by the ledger's keys (one per lot and expired total), so
a retried or overlapping run posts nothing twice; reconciliation only reads,
the ledger and then Temporal (an active hold whose workflow closed is a
discrepancy the ledger alone cannot see).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client

from loyalty.activities.errors import business_errors
from loyalty.activities.holds import stranded_holds
from loyalty.contracts.maintenance import (
    CLOSED_WORKFLOW_HOLD,
    EXPIRE_POINTS,
    RECONCILE_LEDGER,
    ExpireDue,
    ExpirySummary,
    LedgerDiscrepancy,
    ReconcileRequest,
    ReconciliationReport,
)
from loyalty.ledger.reconcile import STOCK_CHECK
from loyalty.ledger.repository import Ledger
from loyalty.ledger.results import Discrepancy
from loyalty.ledger.stranded import SagaHold
from loyalty.policies.book import PolicyBook


class MaintenanceActivities:
    def __init__(
        self,
        *,
        ledger: Ledger,
        sessions: sessionmaker[Session],
        client: Client,
        policies: PolicyBook,
    ) -> None:
        self._ledger = ledger
        self._sessions = sessions
        self._client = client
        self._policies = policies

    @activity.defn(name=EXPIRE_POINTS)
    @business_errors
    def expire_points(self, request: ExpireDue) -> ExpirySummary:
        # The lead times in force on the run's day: a lot owed a notice is postponed.
        days = self._policies.expiry_rules(today=request.as_of.date()).notice_days_before
        run = self._ledger.expire(
            as_of=request.as_of, member_id=request.member_id, notice_days_before=days
        )
        return ExpirySummary(**asdict(run))

    @activity.defn(name=RECONCILE_LEDGER)
    async def reconcile_ledger(self, request: ReconcileRequest) -> ReconciliationReport:
        found = await asyncio.to_thread(self._ledger.reconcile, member_id=request.member_id)
        stranded = await stranded_holds(self._client, self._sessions, member_id=request.member_id)
        return ReconciliationReport(
            discrepancies=[*map(_discrepancy, found), *map(_stranded, stranded)]
        )


def _discrepancy(found: Discrepancy) -> LedgerDiscrepancy:
    whose = "reward_id" if found.check == STOCK_CHECK else "member_id"
    return LedgerDiscrepancy(
        check=found.check,
        projected=found.projected,
        derived=found.derived,
        **{whose: found.subject},
    )


def _stranded(hold: SagaHold) -> LedgerDiscrepancy:
    return LedgerDiscrepancy(
        check=CLOSED_WORKFLOW_HOLD,
        member_id=hold.member_id,
        projected=hold.points,
        derived=0,
        hold_id=hold.hold_id,
        workflow_id=hold.workflow_id,
    )

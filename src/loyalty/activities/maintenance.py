"""The scheduled ledger jobs' activities: thin adapters over ``Ledger.expire`` and ``.reconcile``.

Expiry is idempotent by the ledger's keys (one per lot and expired total), so
a retried or overlapping run posts nothing twice; reconciliation only reads.
"""

from __future__ import annotations

from dataclasses import asdict

from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.contracts.maintenance import (
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


class MaintenanceActivities:
    def __init__(self, *, ledger: Ledger) -> None:
        self._ledger = ledger

    @activity.defn(name=EXPIRE_POINTS)
    @business_errors
    def expire_points(self, request: ExpireDue) -> ExpirySummary:
        run = self._ledger.expire(as_of=request.as_of, member_id=request.member_id)
        return ExpirySummary(**asdict(run))

    @activity.defn(name=RECONCILE_LEDGER)
    @business_errors
    def reconcile_ledger(self, request: ReconcileRequest) -> ReconciliationReport:
        found = self._ledger.reconcile(member_id=request.member_id)
        return ReconciliationReport(discrepancies=[_discrepancy(d) for d in found])


def _discrepancy(found: Discrepancy) -> LedgerDiscrepancy:
    whose = "reward_id" if found.check == STOCK_CHECK else "member_id"
    return LedgerDiscrepancy(
        check=found.check,
        projected=found.projected,
        derived=found.derived,
        **{whose: found.subject},
    )

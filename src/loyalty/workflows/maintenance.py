"""Scheduled ledger jobs as workflows, so each run shows in the Web UI (started by Schedules).

Each workflow runs one activity; the activity does the work through the
ledger's own functions (``Ledger.expire``, ``Ledger.reconcile``, the hold
sweeper of ``activities.holds``), so what a schedule checks grows with what
those functions check. A run that finds something an operator must see fails,
so it shows red in the Web UI.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts.maintenance import (
        DISCREPANCY_ERROR,
        EXPIRE_POINTS,
        EXPIRE_POINTS_WORKFLOW,
        RECONCILE_LEDGER,
        RECONCILE_WORKFLOW,
        STRANDED_HOLDS_ERROR,
        SWEEP_HOLDS,
        SWEEP_HOLDS_WORKFLOW,
        ExpireDue,
        ExpiryRequest,
        ExpirySummary,
        HoldSweepReport,
        HoldSweepRequest,
        ReconcileRequest,
        ReconciliationReport,
    )
    from loyalty.workflows.options import LEDGER, SWEEP


@workflow.defn(name=EXPIRE_POINTS_WORKFLOW)
class ExpirePointsWorkflow:
    @workflow.run
    async def run(self, request: ExpiryRequest) -> ExpirySummary:
        # The run's start time, not the activity's: a retry expires what was due then.
        due = ExpireDue(as_of=workflow.info().start_time, member_id=request.member_id)
        summary: ExpirySummary = await workflow.execute_activity(
            EXPIRE_POINTS, due, result_type=ExpirySummary, **LEDGER.kwargs()
        )
        return summary


@workflow.defn(name=RECONCILE_WORKFLOW)
class ReconcileLedgerWorkflow:
    @workflow.run
    async def run(self, request: ReconcileRequest) -> ReconciliationReport:
        report: ReconciliationReport = await workflow.execute_activity(
            RECONCILE_LEDGER, request, result_type=ReconciliationReport, **LEDGER.kwargs()
        )
        if report.discrepancies:
            # A failed run is what an operator sees (and alerts on) in the Web UI.
            raise ApplicationError(
                report.summary(), report, type=DISCREPANCY_ERROR, non_retryable=True
            )
        return report


@workflow.defn(name=SWEEP_HOLDS_WORKFLOW)
class SweepExpiredHoldsWorkflow:
    @workflow.run
    async def run(self, request: HoldSweepRequest) -> HoldSweepReport:
        report: HoldSweepReport = await workflow.execute_activity(
            SWEEP_HOLDS, request, result_type=HoldSweepReport, **SWEEP.kwargs()
        )
        if report.kept:
            raise ApplicationError(
                report.summary(), report, type=STRANDED_HOLDS_ERROR, non_retryable=True
            )
        return report

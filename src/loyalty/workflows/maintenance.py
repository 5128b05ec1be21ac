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
        RECORD_EXPIRY_NOTICES,
        STRANDED_HOLDS_ERROR,
        SWEEP_HOLDS,
        SWEEP_HOLDS_WORKFLOW,
        ExpireDue,
        ExpiryNotices,
        ExpiryRequest,
        ExpirySummary,
        HoldSweepReport,
        HoldSweepRequest,
        NoticesDue,
        ReconcileRequest,
        ReconciliationReport,
    )
    from loyalty.contracts.webhooks import EventType, WebhookEvent
    from loyalty.workflows.options import LEDGER, SWEEP
    from loyalty.workflows.webhook_fanout import fan_out_many

EXPIRY_NOTICES_PATCH = "expiry-notices"


@workflow.defn(name=EXPIRE_POINTS_WORKFLOW)
class ExpirePointsWorkflow:
    @workflow.run
    async def run(self, request: ExpiryRequest) -> ExpirySummary:
        # The run's start time, not the activity's: a retry expires what was due then.
        due = ExpireDue(as_of=workflow.info().start_time, member_id=request.member_id)
        summary: ExpirySummary = await workflow.execute_activity(
            EXPIRE_POINTS, due, result_type=ExpirySummary, **LEDGER.kwargs()
        )
        if not workflow.patched(EXPIRY_NOTICES_PATCH):
            return summary
        recorded: ExpiryNotices = await workflow.execute_activity(
            RECORD_EXPIRY_NOTICES,
            NoticesDue(
                as_of=due.as_of, run_key=workflow.info().workflow_id, member_id=request.member_id
            ),
            result_type=ExpiryNotices,
            **LEDGER.kwargs(),
        )
        await fan_out_many(
            EventType.POINTS_EXPIRING,
            [
                WebhookEvent(
                    id=notice_event_id(n.member_id, n.expires_at.isoformat(), n.days_before),
                    type=EventType.POINTS_EXPIRING,
                    created_at=workflow.now(),
                    data={
                        **n.model_dump(mode="json"),
                        "days_left": (n.expires_at - due.as_of).days,
                    },
                )
                for n in recorded.notices
            ],
        )
        return summary.model_copy(update={"notices": len(recorded.notices)})


def notice_event_id(member_id: str, expires_at: str, days_before: int) -> str:
    """Stable per notice, so a repeated run (or a reset) delivers it once."""
    return f"expiry-notice~{member_id}~{expires_at}~{days_before}"


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

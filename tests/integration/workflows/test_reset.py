"""An operator's reset replays side effects safely: every step is idempotent by its key.

A completed redemption is reset to the workflow task right after its hold
(as an operator would from the Web UI or ``temporal workflow reset``): the new
run issues the fulfillment and the capture again, which must find what the
first run did instead of doing it twice.
"""

from __future__ import annotations

import asyncio
import uuid

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest

from loyalty.contracts import redemption as r
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import redemption_request
from tests.support.temporal import SagaHarness


def task_after_the_hold(events: list[HistoryEvent]) -> int:
    """Event id of the first workflow task completed after ReservePoints completed."""
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    hold_done = next(
        i
        for i, e in enumerate(events)
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        and scheduled[e.activity_task_completed_event_attributes.scheduled_event_id]
        == r.RESERVE_POINTS
    )
    return next(
        e.event_id
        for e in events[hold_done:]
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )


async def test_resetting_a_completed_redemption_after_the_hold_changes_nothing(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    first = await saga.redeem(redemption_request(member))
    assert first.status == r.RedemptionStatus.COMPLETED
    entries_before = ledger.entries(member_id=member)
    handle = saga.client.get_workflow_handle(first.redemption_id)
    history = await handle.fetch_history()

    reset = await saga.client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=saga.client.namespace,
            workflow_execution=WorkflowExecution(
                workflow_id=first.redemption_id, run_id=history.run_id
            ),
            reason="operator reset in a test",
            workflow_task_finish_event_id=task_after_the_hold(list(history.events)),
            request_id=str(uuid.uuid4()),
        )
    )
    rerun = saga.client.get_workflow_handle(
        first.redemption_id, run_id=reset.run_id, result_type=r.RedemptionState
    )
    again = await asyncio.wait_for(rerun.result(), timeout=120)

    assert again.status == r.RedemptionStatus.COMPLETED
    assert saga.faults.calls[r.FULFILL_REWARD] == 2  # the partner was asked again...
    assert saga.faults.calls[r.CAPTURE_POINTS] == 2  # ...and the capture posted again
    assert ledger.entries(member_id=member) == entries_before  # ...yet nothing moved twice
    assert ledger.balance(member_id=member).available == 5_000 - first.points
    vouchers = [
        v
        for v in partner_simulator.vouchers()
        if v["idempotency_key"].startswith(first.redemption_id)
    ]
    assert len(vouchers) == 1 and vouchers[0]["status"] == "issued"
    assert again.voucher_code == first.voucher_code

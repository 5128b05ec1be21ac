"""An accrual the ledger refuses answers the caller waiting for it with the refusal's type."""

from __future__ import annotations

from decimal import Decimal

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from loyalty.contracts import accrual as acc
from tests.conftest import unique_id
from tests.support.temporal import SagaHarness


async def test_an_unknown_member_fails_the_recorded_update_and_the_workflow(
    saga: SagaHarness,
) -> None:
    request = acc.AccrualRequest(
        member_id=unique_id("M-nobody"),
        order_id=unique_id("order"),
        amount=Decimal("10.00"),
        currency="USD",
        source="shop-1",
        actor="shop-1",
    )
    handle = await saga.client.start_workflow(
        acc.ACCRUAL_WORKFLOW,
        request,
        id=acc.accrual_workflow_id(
            source="shop-1", member_id=request.member_id, order_id=request.order_id
        ),
        task_queue=saga.task_queue,
        result_type=acc.AccrualState,
    )

    with pytest.raises((WorkflowUpdateFailedError, WorkflowFailureError)) as failed:
        await handle.execute_update(
            acc.UPDATE_RECORDED, acc.AwaitRecorded(), result_type=acc.AccrualState
        )
    with pytest.raises(WorkflowFailureError) as closed:
        await handle.result()

    for error in (failed.value, closed.value):
        assert isinstance(error.cause, ApplicationError)
        assert error.cause.type == "not_found"

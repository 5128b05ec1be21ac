"""Refunds: full and partial, racing each other, refused when there is nothing to refund."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowFailureError

from loyalty.contracts.redemption import (
    REFUND_WORKFLOW,
    RedemptionStatus,
    RefundRequest,
    RefundResult,
    refund_workflow_id,
)
from loyalty.ledger.models import PointLot, Redemption
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import redemption_request
from tests.support.temporal import SagaHarness


async def refund(
    saga: SagaHarness, redemption_id: str, quantity: int | None = None
) -> RefundResult:
    request = RefundRequest(
        redemption_id=redemption_id,
        request_id=unique_id("refund"),
        quantity=quantity,
        reason="member returned the reward",
        actor="agent-9",
    )
    result: RefundResult = await saga.client.execute_workflow(
        REFUND_WORKFLOW,
        request,
        id=refund_workflow_id(redemption_id, request.request_id),
        task_queue=saga.task_queue,
        result_type=RefundResult,
    )
    return result


async def completed_redemption(saga: SagaHarness, member: str, quantity: int) -> tuple[str, int]:
    state = await saga.redeem(redemption_request(member, "R-GIFT-10", quantity=quantity))
    assert state.status == RedemptionStatus.COMPLETED, state.reasons
    return state.redemption_id, state.points


async def test_full_refund_restores_points_and_voids_the_voucher(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    redemption_id, points = await completed_redemption(saga, member, quantity=2)

    result = await refund(saga, redemption_id)

    assert (result.points_refunded, result.quantity_refunded) == (points, 2)
    assert result.voucher_voided
    assert ledger.balance(member_id=member).available == 5_000
    assert [v["status"] for v in partner_simulator.vouchers()] == ["voided"]
    assert ledger.reconcile(member_id=member) == []


async def test_partial_refunds_add_up_to_exactly_the_capture(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    redemption_id, points = await completed_redemption(saga, member, quantity=3)  # 2,850

    first = await refund(saga, redemption_id, quantity=1)
    assert first.points_refunded == points // 3 and not first.voucher_voided
    assert partner_simulator.vouchers()[0]["status"] == "issued"
    rest = await refund(saga, redemption_id, quantity=2)

    assert first.points_refunded + rest.points_refunded == points
    assert rest.total_refunded_points == points and rest.voucher_voided
    assert ledger.balance(member_id=member).available == 5_000
    with pytest.raises(WorkflowFailureError):
        await refund(saga, redemption_id, quantity=1)
    assert ledger.reconcile(member_id=member) == []


async def test_racing_refunds_never_return_more_than_was_captured(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    redemption_id, points = await completed_redemption(saga, member, quantity=2)

    outcomes = await asyncio.gather(
        *(refund(saga, redemption_id) for _ in range(4)), return_exceptions=True
    )

    succeeded = [o for o in outcomes if isinstance(o, RefundResult)]
    assert len(succeeded) == 1
    assert succeeded[0].points_refunded == points
    assert all(isinstance(o, WorkflowFailureError) for o in outcomes if o not in succeeded)
    assert ledger.balance(member_id=member).available == 5_000
    assert ledger.reconcile(member_id=member) == []


async def test_refund_of_a_redemption_that_did_not_complete_is_refused(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=100)
    state = await saga.redeem(redemption_request(member))
    assert state.status == RedemptionStatus.REJECTED

    with pytest.raises(WorkflowFailureError) as refused:
        await refund(saga, state.redemption_id)

    assert "rejected" in str(refused.value.cause)
    assert ledger.balance(member_id=member).available == 100


async def test_refunded_points_keep_their_original_expiry(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    sessions: sessionmaker[Session],
) -> None:
    member = new_member(points=600, expires_in=dt.timedelta(days=20))
    ledger.accrue(
        member_id=member,
        points=2_000,
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=300),
        idempotency_key=unique_id("accrue"),
    )
    redemption_id, _ = await completed_redemption(saga, member, quantity=2)  # 1,900: both lots

    await refund(saga, redemption_id)

    with sessions() as session:
        lots = session.scalars(select(PointLot).where(PointLot.member_id == member)).all()
        record = session.get(Redemption, redemption_id)
    assert sorted((lot.remaining, lot.original_points) for lot in lots) == [
        (600, 600),
        (2_000, 2_000),
    ]
    assert record is not None and record.refunded_points == record.points

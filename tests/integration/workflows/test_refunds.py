"""Refunds: full and partial, racing each other, refused when there is nothing to refund.

The partner takes the value back first (voids the units, refusing used ones),
and only then do points come back; outside POL-REFUND-001's window or above
its automatic maximum an operator decides first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError

from loyalty.contracts.redemption import (
    QUERY_STATE,
    REFUND_WORKFLOW,
    UPDATE_APPROVE,
    UPDATE_REJECT,
    OperatorAction,
    RedemptionStatus,
    RefundRequest,
    RefundResult,
    RefundState,
    RefundStatus,
    RefundUpdateResult,
    refund_workflow_id,
)
from loyalty.ledger.models import PointLot, Redemption, Reward
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, RewardFactory, unique_id
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import ledger_kinds, redemption_request
from tests.support.temporal import SagaHarness


async def start_refund(
    saga: SagaHarness, redemption_id: str, quantity: int | None = None, actor: str = "agent-9"
) -> WorkflowHandle[Any, RefundResult]:
    request = RefundRequest(
        redemption_id=redemption_id,
        request_id=unique_id("refund"),
        quantity=quantity,
        reason="member returned the reward",
        actor=actor,
    )
    return await saga.client.start_workflow(
        REFUND_WORKFLOW,
        request,
        id=refund_workflow_id(redemption_id, request.request_id),
        task_queue=saga.task_queue,
        result_type=RefundResult,
    )


async def refund(
    saga: SagaHarness, redemption_id: str, quantity: int | None = None
) -> RefundResult:
    handle = await start_refund(saga, redemption_id, quantity)
    return await handle.result()


async def refund_state(
    handle: WorkflowHandle[Any, RefundResult], status: RefundStatus
) -> RefundState:
    """Poll the refund's live state until it reaches ``status``."""
    for _ in range(400):
        state = await handle.query(QUERY_STATE, result_type=RefundState)
        if state.status == status:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"refund never reached {status}: {state}")


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


def age_redemption(sessions: sessionmaker[Session], redemption_id: str, days: int) -> None:
    """Pretend the redemption completed ``days`` ago (its record holds when it finished)."""
    with sessions.begin() as session:
        record = session.get(Redemption, redemption_id)
        assert record is not None
        finished = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        record.outcome = {**record.outcome, "finished_at": finished.isoformat()}


async def test_the_partner_voids_the_refunded_units_before_any_point_comes_back(
    saga: SagaHarness,
    ledger: Ledger,
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
    new_reward: RewardFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member, reward = new_member(points=5_000), new_reward(inventory=5)
    state = await saga.redeem(redemption_request(member, reward, quantity=3))
    assert state.status == RedemptionStatus.COMPLETED

    result = await refund(saga, state.redemption_id, quantity=1)

    voucher = partner_simulator.vouchers()[0]
    assert (voucher["status"], voucher["units_voided"]) == ("issued", 1)
    assert result.points_refunded == state.points // 3 and not result.voucher_voided
    with sessions() as session:
        stock = session.get(Reward, reward)
        assert stock is not None and stock.inventory == 5 - 3 + 1
    assert ledger.reconcile() == []


async def test_a_used_voucher_gets_no_points_back(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    redemption_id, points = await completed_redemption(saga, member, quantity=1)
    partner_simulator.use(f"{redemption_id}:fulfill_reward")

    with pytest.raises(WorkflowFailureError) as refused:
        await refund(saga, redemption_id)

    assert "used" in str(refused.value.cause)
    assert ledger.balance(member_id=member).available == 5_000 - points
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "capture"]


async def test_a_refund_outside_the_window_waits_for_an_operator(
    saga: SagaHarness,
    ledger: Ledger,
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
) -> None:
    member = new_member(points=5_000)
    redemption_id, points = await completed_redemption(saga, member, quantity=1)
    age_redemption(sessions, redemption_id, days=20)  # POL-REFUND-001: a 14-day window
    handle = await start_refund(saga, redemption_id, actor="agent-9")

    waiting = await refund_state(handle, RefundStatus.AWAITING_APPROVAL)
    with pytest.raises(WorkflowUpdateFailedError):  # nobody approves their own request
        await handle.execute_update(
            UPDATE_APPROVE,
            OperatorAction(operator_id="agent-9", reason="mine"),
            result_type=RefundUpdateResult,
        )
    assert ledger.balance(member_id=member).available == 5_000 - points  # nothing yet

    await handle.execute_update(
        UPDATE_APPROVE,
        OperatorAction(operator_id="ops-1", reason="goodwill: member was abroad"),
        result_type=RefundUpdateResult,
    )
    result = await handle.result()

    assert any("outside the 14-day refund window" in r for r in waiting.review_reasons)
    assert result.points_refunded == points
    assert ledger.balance(member_id=member).available == 5_000


async def test_a_refund_above_the_automatic_maximum_can_be_rejected(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    new_reward: RewardFactory,
) -> None:
    member = new_member(points=40_000, tier="gold")
    reward = new_reward(inventory=None, cost=30_000)  # 27,000 after the gold discount
    state = await saga.redeem(redemption_request(member, reward))
    assert state.status == RedemptionStatus.COMPLETED, state.reasons
    handle = await start_refund(saga, state.redemption_id, actor="agent-9")

    waiting = await refund_state(handle, RefundStatus.AWAITING_APPROVAL)
    await handle.execute_update(
        UPDATE_REJECT,
        OperatorAction(operator_id="ops-1", reason="reward was delivered"),
        result_type=RefundUpdateResult,
    )
    with pytest.raises(WorkflowFailureError) as refused:
        await handle.result()

    assert any("automatic reversal maximum" in r for r in waiting.review_reasons)
    assert "rejected by ops-1" in str(refused.value.cause)
    assert ledger.balance(member_id=member).available == 40_000 - state.points

"""Fraud review (approve, reject, time out) and cancellation at each stage."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.service import RPCError

from loyalty.contracts.redemption import (
    UPDATE_APPROVE,
    UPDATE_CANCEL,
    UPDATE_REJECT,
    CancelRequest,
    RedemptionState,
    RedemptionStatus,
    ReviewDecision,
    Step,
    UpdateResult,
)
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import (
    compensated,
    ledger_kinds,
    redemption_request,
    wait_for,
)
from tests.support.temporal import SagaHarness

DECISION = ReviewDecision(agent_id="agent-42", reason="called the member, all good")


def new_account_member(new_member: MemberFactory) -> str:
    """A brand-new account on a new device: the fraud rules send it to review (score 50)."""
    return new_member(points=5_000, joined_on=dt.date.today())


def review_request(member: str, **extra: object):  # type: ignore[no-untyped-def]
    return redemption_request(member, device_id="device-new", **extra)


async def test_review_approved_completes(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_account_member(new_member)
    handle = await saga.start(review_request(member))
    parked = await wait_for(handle, status=RedemptionStatus.AWAITING_APPROVAL)
    assert parked.fraud_verdict == "review" and ledger_kinds(ledger, member) == ["accrue"]

    result = await handle.execute_update(UPDATE_APPROVE, DECISION, result_type=UpdateResult)
    state = await handle.result()

    assert result.accepted
    assert state.status == RedemptionStatus.COMPLETED
    assert state.review == DECISION and state.review_outcome == "approved"
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "capture"]


async def test_review_rejected_leaves_the_ledger_untouched(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_account_member(new_member)
    handle = await saga.start(review_request(member))
    await wait_for(handle, status=RedemptionStatus.AWAITING_APPROVAL)

    result = await handle.execute_update(UPDATE_REJECT, DECISION, result_type=UpdateResult)

    assert result.status == RedemptionStatus.REJECTED
    state = await handle.result()
    assert state.review_outcome == "rejected"
    assert any("rejected by agent-42" in r for r in state.reasons)
    assert ledger_kinds(ledger, member) == ["accrue"]


async def test_review_times_out_into_a_rejection(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_account_member(new_member)

    state = await saga.redeem(review_request(member, review_timeout_s=1.0))

    assert state.status == RedemptionStatus.REJECTED
    assert state.review_outcome == "timed_out"
    assert ledger_kinds(ledger, member) == ["accrue"]


async def test_approval_needs_a_reason_and_a_review_to_decide(
    saga: SagaHarness, new_member: MemberFactory
) -> None:
    handle = await saga.start(redemption_request(new_member(points=5_000)))
    await handle.result()
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await handle.execute_update(UPDATE_APPROVE, DECISION, result_type=UpdateResult)
    with pytest.raises(ValueError, match="reason"):
        ReviewDecision(agent_id="a", reason="")


async def test_cancel_while_awaiting_approval(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_account_member(new_member)
    handle = await saga.start(review_request(member))
    await wait_for(handle, status=RedemptionStatus.AWAITING_APPROVAL)

    result = await handle.execute_update(
        UPDATE_CANCEL, CancelRequest(requested_by=member), result_type=UpdateResult
    )

    assert result.status == RedemptionStatus.CANCELLED
    assert ledger_kinds(ledger, member) == ["accrue"]


async def test_cancel_during_fulfillment_voids_and_releases(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    partner_simulator.control(issue={"latency_ms": 1500})
    handle = await saga.start(redemption_request(member))
    await wait_for(handle, step=Step.FULFILL_REWARD)

    result = await handle.execute_update(
        UPDATE_CANCEL, CancelRequest(requested_by=member), result_type=UpdateResult
    )
    state = await handle.result()

    assert result.status == state.status == RedemptionStatus.CANCELLED
    assert compensated(state) == ["void_fulfillment", "release_points"]
    assert [v["status"] for v in partner_simulator.vouchers()] == ["voided"]
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "release"]
    assert ledger.reconcile(member_id=member) == []


async def test_temporal_cancellation_also_compensates(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    partner_simulator.control(issue={"latency_ms": 1500})
    handle = await saga.start(redemption_request(member))
    await wait_for(handle, step=Step.FULFILL_REWARD)

    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()

    assert ledger.balance(member_id=member).available == 5_000
    assert ledger.balance(member_id=member).held == 0
    assert all(v["status"] == "voided" for v in partner_simulator.vouchers())
    assert ledger.reconcile(member_id=member) == []


async def test_cancel_after_completion_is_refused_with_a_reason(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    handle = await saga.start(redemption_request(member))
    state: RedemptionState = await handle.result()
    assert state.status == RedemptionStatus.COMPLETED

    with pytest.raises((WorkflowUpdateFailedError, RPCError)) as refused:
        await handle.execute_update(
            UPDATE_CANCEL, CancelRequest(requested_by=member), result_type=UpdateResult
        )
    assert "complete" in str(refused.value).lower()
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "capture"]

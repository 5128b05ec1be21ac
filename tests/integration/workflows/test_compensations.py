"""Failures after side effects: compensations run in reverse, and the ledger ends where it began."""

from __future__ import annotations

import asyncio

import pytest

from loyalty.contracts import redemption as act
from loyalty.contracts.redemption import (
    UPDATE_RETRY_COMPENSATIONS,
    OperatorAction,
    RedemptionStatus,
    UpdateResult,
)
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import (
    compensated,
    ledger_kinds,
    redemption_request,
    wait_for_status,
)
from tests.support.temporal import SagaHarness


@pytest.mark.parametrize(
    ("failing", "expected_compensations", "expected_entries"),
    [
        (act.RESERVE_POINTS, ["release_points"], ["accrue"]),
        (act.FULFILL_REWARD, ["void_fulfillment", "release_points"], ["accrue", "hold", "release"]),
        (act.CAPTURE_POINTS, ["void_fulfillment", "release_points"], ["accrue", "hold", "release"]),
    ],
)
async def test_a_permanent_failure_compensates_exactly_the_earlier_steps_in_reverse(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
    failing: str,
    expected_compensations: list[str],
    expected_entries: list[str],
) -> None:
    member = new_member(points=5_000)
    saga.faults.fail(failing)

    state = await saga.redeem(redemption_request(member))

    assert state.status in (RedemptionStatus.FAILED, RedemptionStatus.REJECTED)
    assert compensated(state) == expected_compensations
    assert ledger_kinds(ledger, member) == expected_entries
    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (5_000, 0)
    assert all(v["status"] == "voided" for v in partner_simulator.vouchers())
    assert ledger.reconcile(member_id=member) == []


async def test_partner_transient_errors_are_retried_into_one_voucher(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    partner_simulator.control(issue={"fail_next": 4})  # more than one client call absorbs

    state = await saga.redeem(redemption_request(member))

    assert state.status == RedemptionStatus.COMPLETED, state.reasons
    assert len(partner_simulator.vouchers()) == 1
    assert partner_simulator.stats()["issue_calls"] >= 5
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "capture"]


async def test_partner_permanent_failure_is_compensated(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    partner_simulator.control(issue={"fail_permanently": True})

    state = await saga.redeem(redemption_request(member))

    assert state.status == RedemptionStatus.FAILED
    assert compensated(state) == ["void_fulfillment", "release_points"]
    assert partner_simulator.vouchers() == []
    assert ledger.balance(member_id=member).available == 5_000
    assert ledger.reconcile(member_id=member) == []


@pytest.mark.parametrize("activity", [act.RESERVE_POINTS, act.FULFILL_REWARD, act.CAPTURE_POINTS])
async def test_a_lost_completion_is_retried_without_a_second_write(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
    activity: str,
) -> None:
    member = new_member(points=5_000)
    saga.faults.lose_completion(activity, times=2)

    state = await saga.redeem(redemption_request(member))

    assert state.status == RedemptionStatus.COMPLETED, state.reasons
    assert saga.faults.calls[activity] == 3  # the write landed three times, posted once
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "capture"]
    assert len(partner_simulator.vouchers()) == 1
    assert ledger.reconcile(member_id=member) == []


async def test_a_failing_compensation_parks_the_saga_until_an_operator_retries(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    saga.faults.fail(act.CAPTURE_POINTS)  # the voucher is issued, then capture fails
    partner_simulator.control(void={"fail_permanently": True})
    handle = await saga.start(redemption_request(member))

    state = await wait_for_status(handle, RedemptionStatus.NEEDS_ATTENTION)
    # The voucher is live, so the hold stays: the unwind stops at the failed void
    # (issue 9: a member never has both the points and a live voucher).
    assert state.failed_compensations == ["void_fulfillment", "release_points"]
    assert "release_points" not in compensated(state)
    assert ledger.balance(member_id=member).held == state.points > 0

    partner_simulator.control(void={"fail_permanently": False})
    result = await handle.execute_update(
        UPDATE_RETRY_COMPENSATIONS,
        OperatorAction(operator_id="ops-1", reason="partner fixed the void endpoint"),
        result_type=UpdateResult,
    )
    assert result.accepted
    final = await handle.result()

    assert final.status == RedemptionStatus.FAILED
    assert final.failed_compensations == []
    assert [v["status"] for v in partner_simulator.vouchers()] == ["voided"]
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "release"]
    assert ledger.reconcile(member_id=member) == []


async def test_an_operator_retry_during_the_parking_bookkeeping_is_not_lost(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    saga.faults.fail(act.CAPTURE_POINTS)
    saga.faults.delay(act.RECORD_REDEMPTION, 1.5)  # the retry lands while the record runs
    partner_simulator.control(void={"fail_permanently": True})
    handle = await saga.start(redemption_request(member))
    await wait_for_status(handle, RedemptionStatus.NEEDS_ATTENTION)
    partner_simulator.control(void={"fail_permanently": False})

    await handle.execute_update(
        UPDATE_RETRY_COMPENSATIONS,
        OperatorAction(operator_id="ops-1", reason="partner fixed the void endpoint"),
        result_type=UpdateResult,
    )
    final = await asyncio.wait_for(handle.result(), timeout=30)

    assert final.status == RedemptionStatus.FAILED
    assert [v["status"] for v in partner_simulator.vouchers()] == ["voided"]
    assert ledger.reconcile(member_id=member) == []

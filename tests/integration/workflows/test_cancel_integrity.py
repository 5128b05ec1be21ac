"""A cancel or a failed compensation never strands, loses or double-spends a member's points.

Each test reproduces a path found by probing a running stack: a Temporal
cancel (what the Web UI sends) landing while a step is in flight, a cancel
landing during a best-effort step, a cancel landing while the capture commits,
and a void that fails after a fulfilment whose answer was lost. The last one
cancels redemptions at random instants (Hypothesis picks them) and checks that
every member ends whole: charged exactly once with one live voucher, or not
charged at all with no live voucher; never parked, never a stranded hold.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError
from temporalio.service import RPCError

from loyalty.contracts import redemption as act
from loyalty.contracts.redemption import (
    QUERY_STATE,
    UPDATE_RETRY_COMPENSATIONS,
    OperatorAction,
    RedemptionState,
    RedemptionStatus,
    Step,
    UpdateResult,
)
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import ledger_kinds, redemption_request, wait_for
from tests.support.temporal import SagaHarness


async def until(condition: Callable[[], bool], *, timeout_s: float = 20.0) -> None:
    """Poll a positive condition (never used to wait for something *not* to happen)."""
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition never became true")


async def test_a_cancel_during_a_delayed_hold_leaves_no_hold(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    saga.faults.delay(act.RESERVE_POINTS, 1.5)
    handle = await saga.start(redemption_request(member))
    await until(lambda: saga.faults.calls[act.RESERVE_POINTS] >= 1)

    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    await until(lambda: saga.faults.finished[act.RESERVE_POINTS] >= 1)  # the late hold ran

    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (5_000, 0)
    assert ledger.reconcile(member_id=member) == []


async def test_a_cancel_during_a_best_effort_step_still_wins(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    """Not swallowed: the saga ends cancelled, nothing captured, nothing issued.

    The first record is a local activity (local-record-and-subscribers patch): it
    runs inside the workflow task, so the cancel reaches the saga when that task
    ends, which may be after the hold was scheduled (as for the local decide
    step); a hold that lands is then seen and released.
    """
    member = new_member(points=5_000)
    saga.faults.delay(act.RECORD_REDEMPTION, 1.0)
    handle = await saga.start(redemption_request(member))
    await until(lambda: saga.faults.calls[act.RECORD_REDEMPTION] >= 1)

    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()

    state = await handle.query(QUERY_STATE, result_type=RedemptionState)
    assert state.status == RedemptionStatus.CANCELLED
    assert ledger_kinds(ledger, member) in (["accrue"], ["accrue", "hold", "release"])
    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (5_000, 0)
    assert partner_simulator.vouchers() == []


async def test_a_cancel_while_the_capture_commits_is_too_late_and_completes(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    saga.faults.delay_answer(act.CAPTURE_POINTS, 1.0)  # committed, answer not yet back
    handle = await saga.start(redemption_request(member))
    await until(lambda: saga.faults.calls[act.CAPTURE_POINTS] >= 1)

    await handle.cancel()
    state: RedemptionState = await asyncio.wait_for(handle.result(), 30)

    assert state.status == RedemptionStatus.COMPLETED
    assert any("too late" in reason for reason in state.reasons)
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "capture"]
    assert [v["status"] for v in partner_simulator.vouchers()] == ["issued"]
    assert ledger.reconcile(member_id=member) == []


async def test_a_failed_void_after_an_unknown_fulfilment_keeps_the_hold(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    saga.faults.lose_for_good(act.FULFILL_REWARD)  # issued at the partner, answer lost
    partner_simulator.control(void={"error_rate": 1.0})  # the void keeps failing
    # Compensations retry for hours by default; this one gets a few seconds.
    handle = await saga.start(redemption_request(member, compensation_timeout_s=4.0))

    parked = await wait_for(handle, status=RedemptionStatus.NEEDS_ATTENTION, timeout_s=30)

    assert parked.failed_compensations == [Step.VOID_FULFILLMENT, Step.RELEASE_POINTS]
    assert ledger.balance(member_id=member).held == parked.points > 0  # not released
    assert [v["status"] for v in partner_simulator.vouchers()] == ["issued"]

    partner_simulator.control(void={"error_rate": 0.0})
    await handle.execute_update(
        UPDATE_RETRY_COMPENSATIONS,
        OperatorAction(operator_id="ops-1", reason="partner is back"),
        result_type=UpdateResult,
    )
    state: RedemptionState = await handle.result()

    assert state.status == RedemptionStatus.FAILED
    assert [v["status"] for v in partner_simulator.vouchers()] == ["voided"]
    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (5_000, 0)
    assert ledger.reconcile(member_id=member) == []


async def settle(handle: WorkflowHandle[Any, RedemptionState]) -> RedemptionState | None:
    """The final state, or None for a run that ended cancelled; fails if it never ends."""
    try:
        return await asyncio.wait_for(handle.result(), 45)
    except WorkflowFailureError as failure:
        assert isinstance(failure.cause, CancelledError), failure
        return None
    except TimeoutError:
        state = await handle.query(QUERY_STATE, result_type=RedemptionState)
        raise AssertionError(f"{handle.id} never settled: {state.status} {state.reasons}") from None


async def cancel_after(handle: WorkflowHandle[Any, RedemptionState], delay_s: float) -> None:
    await asyncio.sleep(delay_s)
    with contextlib.suppress(RPCError):  # already closed: the cancel came after the end
        await handle.cancel()


@settings(
    max_examples=4,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(delays=st.lists(st.floats(min_value=0.0, max_value=1.6), min_size=10, max_size=10))
async def test_cancels_at_random_instants_leave_every_member_whole(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
    delays: list[float],
) -> None:
    partner_simulator.control(issue={"latency_ms": 300}, void={"latency_ms": 100})
    members = [new_member(points=5_000) for _ in delays]
    handles = [await saga.start(redemption_request(member)) for member in members]

    await asyncio.gather(*(cancel_after(h, d) for h, d in zip(handles, delays, strict=True)))
    outcomes = await asyncio.gather(*(settle(h) for h in handles))

    vouchers = {v["member_id"]: v["status"] for v in partner_simulator.vouchers()}
    for member, state in zip(members, outcomes, strict=True):
        balance = ledger.balance(member_id=member)
        assert balance.held == 0, f"{member}: points left on hold"
        if state is not None and state.status == RedemptionStatus.COMPLETED:
            assert balance.available == 5_000 - state.points
            assert vouchers.get(member) == "issued"
        else:
            assert state is None or state.status == RedemptionStatus.CANCELLED, state
            assert balance.available == 5_000, f"{member}: points lost on a cancel"
            assert vouchers.get(member) in (None, "voided"), f"{member}: a live voucher"
        assert ledger.reconcile(member_id=member) == []

"""The redemption saga on a real Temporal server, real PostgreSQL and the partner simulator."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from loyalty.contracts.redemption import (
    CAPTURE_POINTS,
    DECIDE_REDEMPTION,
    FULFILL_REWARD,
    QUERY_STATE,
    RECORD_REDEMPTION,
    REDEMPTION_WORKFLOW,
    RESERVE_POINTS,
    RedemptionState,
    RedemptionStatus,
)
from loyalty.contracts.webhooks import LIST_WEBHOOK_SUBSCRIBERS
from loyalty.ledger.redemptions import get_redemption
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import ledger_kinds, redemption_request
from tests.support.temporal import SagaHarness, member_workflow_id


async def test_happy_path_holds_captures_and_charges_exactly_the_price(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000, tier="gold")  # gold: 10% tier discount

    state = await saga.redeem(redemption_request(member, "R-GIFT-25", quantity=2))

    assert state.status == RedemptionStatus.COMPLETED, state.reasons
    assert state.points == 4_500  # 2 x 2,500 less 10%
    assert sum(line.points for line in state.breakdown if line.kind != "total") == 4_500
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "capture"]
    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (500, 0)
    assert [v["status"] for v in partner_simulator.vouchers()] == ["issued"]
    assert [s.step.value for s in state.steps if s.status == "ok"] == [
        "check_balance",
        "check_eligibility",
        "assess_fraud",
        "price_offer",
        "reserve_points",
        "fulfill_reward",
        "capture_points",
    ]
    assert ledger.reconcile(member_id=member) == []


async def test_a_completed_saga_runs_three_activity_tasks_and_the_rest_locally(
    saga: SagaHarness, new_member: MemberFactory, sessions: sessionmaker[Session]
) -> None:
    """Issue 12: only the ledger and partner calls cost an activity task round trip."""
    state = await saga.redeem(redemption_request(new_member(points=5_000)))
    assert state.status == RedemptionStatus.COMPLETED, state.reasons

    history = await saga.client.get_workflow_handle(state.redemption_id).fetch_history()
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    local = [
        json.loads(e.marker_recorded_event_attributes.details["data"].payloads[0].data)[
            "activity_type"
        ]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]
    assert scheduled == [RESERVE_POINTS, FULFILL_REWARD, CAPTURE_POINTS]
    assert local == [
        RECORD_REDEMPTION,
        DECIDE_REDEMPTION,
        RECORD_REDEMPTION,
        LIST_WEBHOOK_SUBSCRIBERS,
    ]
    with sessions.begin() as session:  # the local records reached the mirror
        assert get_redemption(session, redemption_id=state.redemption_id).status == "completed"


async def test_a_failing_record_is_best_effort_the_saga_goes_on(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    """A local activity's failure reaches the workflow without an ActivityError around it."""
    member = new_member(points=5_000)
    with saga.faults.failing(RECORD_REDEMPTION):
        state = await saga.redeem(redemption_request(member))

    assert state.status == RedemptionStatus.COMPLETED, state.reasons
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "capture"]


async def test_a_decide_step_that_fails_for_good_ends_the_saga_with_its_reason(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    """The local decide step's failure arrives bare, yet ends the saga like any step's."""
    member = new_member(points=5_000)
    with saga.faults.failing(DECIDE_REDEMPTION):
        state = await saga.redeem(redemption_request(member))

    assert state.status == RedemptionStatus.REJECTED
    assert any("injected permanent failure" in reason for reason in state.reasons)
    assert ledger_kinds(ledger, member) == ["accrue"]


async def test_a_long_listing_outage_waits_in_timers_not_in_a_workflow_task(
    saga: SagaHarness, new_member: MemberFactory
) -> None:
    """The local listing's backoffs of 1, 2, 4 and 8 s run in the worker; the 16 s one is a
    timer in the history (over LOCAL_LIST_THRESHOLD), and the saga then completes."""
    saga.faults.lose_completion(LIST_WEBHOOK_SUBSCRIBERS, times=5)
    state = await saga.redeem(redemption_request(new_member(points=5_000)))
    assert state.status == RedemptionStatus.COMPLETED, state.reasons

    history = await saga.client.get_workflow_handle(state.redemption_id).fetch_history()
    timers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
    assert [t.timer_started_event_attributes.start_to_fire_timeout.seconds for t in timers] == [16]
    assert saga.faults.calls[LIST_WEBHOOK_SUBSCRIBERS] == 6


@pytest.mark.parametrize(
    ("setup", "reward", "expected_reason"),
    [
        ({"points": 100}, "R-GIFT-10", "insufficient points"),
        ({"points": 50_000, "tier": "bronze"}, "R-GIFT-100", "requires tier gold"),
        ({"points": 50_000, "status": "suspended"}, "R-GIFT-10", "account is suspended"),
        ({"points": 50_000}, "R-MUG", "only 0 in stock"),
        ({"points": 50_000}, "R-RETIRED-TOTE", "not currently available"),
        ({"points": 50_000, "region": "BR"}, "R-BAKERY", "not available in region BR"),
    ],
)
async def test_refusals_before_any_side_effect_leave_the_ledger_alone(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
    setup: dict[str, object],
    reward: str,
    expected_reason: str,
) -> None:
    member = new_member(**setup)

    state = await saga.redeem(redemption_request(member, reward))

    assert state.status == RedemptionStatus.REJECTED
    assert any(expected_reason in reason for reason in state.reasons), state.reasons
    assert ledger_kinds(ledger, member) == ["accrue"]
    assert partner_simulator.vouchers() == []


async def test_duplicate_start_with_the_same_request_id_is_one_redemption(
    saga: SagaHarness, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    first = redemption_request(member)
    handle = await saga.start(first)
    again = await saga.client.start_workflow(
        REDEMPTION_WORKFLOW,
        first,
        id=member_workflow_id(first),
        task_queue=saga.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        result_type=RedemptionState,
    )
    assert again.first_execution_run_id == handle.first_execution_run_id

    state = await handle.result()
    assert state.status == RedemptionStatus.COMPLETED
    assert ledger_kinds(ledger, member) == ["accrue", "hold", "capture"]
    live = await handle.query(QUERY_STATE, result_type=RedemptionState)
    assert live.status == RedemptionStatus.COMPLETED

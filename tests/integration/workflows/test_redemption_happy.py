"""The redemption saga on a real Temporal server, real PostgreSQL and the partner simulator."""

from __future__ import annotations

import pytest
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from loyalty.contracts.redemption import (
    QUERY_STATE,
    REDEMPTION_WORKFLOW,
    RedemptionState,
    RedemptionStatus,
)
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

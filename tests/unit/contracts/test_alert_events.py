"""The alert events carry ids and the failure, never a voucher code or people's free text."""

from __future__ import annotations

import datetime as dt

from loyalty.contracts.assisted import AssistedState, AssistedStatus
from loyalty.contracts.redemption import RedemptionState, RedemptionStatus, Step, StepOutcome
from loyalty.contracts.webhooks import (
    FAILURE_REASON_CHARS,
    EventType,
    approval_overdue_event,
    needs_attention_event,
)

AT = dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.UTC)


def test_a_parked_saga_reports_the_latest_failure_of_each_owed_step() -> None:
    state = RedemptionState(
        redemption_id="redemption-1",
        request_id="req-1",
        member_id="M-1",
        reward_id="R-GIFT-10",
        quantity=1,
        channel="app",
        status=RedemptionStatus.NEEDS_ATTENTION,
        voucher_id="V-1",
        voucher_code="SECRET-CODE",
        failed_compensations=[Step.VOID_FULFILLMENT, Step.RELEASE_POINTS],
        steps=[
            StepOutcome(step=Step.VOID_FULFILLMENT, status="failed", at=AT, detail="first"),
            StepOutcome(step=Step.VOID_FULFILLMENT, status="failed", at=AT, detail="x" * 500),
        ],
    )
    event = needs_attention_event(state, at=AT)

    assert (event.id, event.type) == (
        "redemption-1:redemption.needs_attention",
        "redemption.needs_attention",
    )
    assert event.data["failed_compensations"] == ["void_fulfillment", "release_points"]
    assert event.data["failures"] == [
        {"step": "void_fulfillment", "reason": "x" * FAILURE_REASON_CHARS}
    ]
    assert event.data["voucher_id"] == "V-1"
    assert "SECRET-CODE" not in event.model_dump_json()


def test_an_overdue_case_reports_ids_and_the_policy_wait_without_the_agents_text() -> None:
    state = AssistedState(
        case_id="assisted-case-1",
        request_id="case-1",
        member_id="M-1",
        purpose="goodwill",
        requested_by="agent-7",
        reason="member told us about their illness",
        status=AssistedStatus.AWAITING_APPROVAL,
        points=1_000,
    )
    event = approval_overdue_event(state, waiting_since=AT, limit_hours=72.0, at=AT)

    assert event.type == EventType.APPROVAL_OVERDUE
    assert event.id == "assisted-case-1:assisted_case.approval_overdue"
    assert event.data["approval_timeout_hours"] == 72.0
    assert event.data["points"] == 1_000
    assert "illness" not in event.model_dump_json()

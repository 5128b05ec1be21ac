"""Small helpers shared by the saga tests."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import WorkflowHandle

from loyalty.contracts.redemption import (
    QUERY_STATE,
    RedemptionRequest,
    RedemptionState,
    RedemptionStatus,
    Step,
)
from loyalty.ledger.repository import Ledger
from tests.conftest import unique_id


def redemption_request(
    member: str, reward: str = "R-GIFT-10", quantity: int = 1, **extra: object
) -> RedemptionRequest:
    return RedemptionRequest(
        request_id=unique_id("req"), member_id=member, reward_id=reward, quantity=quantity, **extra
    )


def ledger_kinds(ledger: Ledger, member: str) -> list[str]:
    """Entry kinds, oldest first."""
    return [e.kind for e in reversed(ledger.entries(member_id=member))]


def compensated(state: RedemptionState) -> list[str]:
    """Compensation steps that ran, in the order they ran."""
    return [s.step.value for s in state.steps if s.status == "compensated"]


async def wait_for(
    handle: WorkflowHandle[Any, Any],
    *,
    status: RedemptionStatus | None = None,
    step: Step | None = None,
    timeout_s: float = 20.0,
) -> RedemptionState:
    """Poll the live state until it reaches ``status`` (and ``step``, if given)."""
    state: RedemptionState | None = None
    for _ in range(int(timeout_s / 0.05)):
        state = await handle.query(QUERY_STATE, result_type=RedemptionState)
        if (status is None or state.status == status) and (
            step is None or state.current_step == step
        ):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached {status} / {step}; last state: {state}")


async def wait_for_status(
    handle: WorkflowHandle[Any, Any], status: RedemptionStatus
) -> RedemptionState:
    return await wait_for(handle, status=status)

"""Who may approve an assisted case: the roles POL-APPROVAL-001 names, two people above its limit.

The numbers come from the policy files. No credit the current caps allow
exceeds the 10,000-point second-approver threshold, so the two-approver case
runs on a copy of the policy folder whose POL-APPROVAL-001 lowers it to 500
(a silver "major" case proposes 1,000 points): the rule is read, not assumed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowUpdateFailedError

from loyalty.agents.decision_log import get_decision
from loyalty.contracts.assisted import (
    UPDATE_APPROVE,
    UPDATE_REJECT,
    AssistedRequest,
    AssistedStatus,
    AssistedUpdateResult,
    ReviewDecision,
)
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.integration.agents.conftest import AssistedFactory
from tests.support.assisted import AssistedHarness, wait_for_status
from tests.support.policies import policies_with

REQUESTER = "agent-7"


@pytest.fixture
async def lowered(
    tmp_path: Path, assisted_factory: AssistedFactory
) -> AsyncIterator[AssistedHarness]:
    """A worker whose POL-APPROVAL-001 asks for a second approver above 500 points."""
    policies = policies_with(
        tmp_path / "policies", {"human-approval.md": {"second_approver_threshold_points": 500}}
    )
    async with assisted_factory(settings={"policies_dir": policies}) as harness:
        yield harness


def major_case(member: str) -> AssistedRequest:
    return AssistedRequest(
        request_id=unique_id("case"),
        member_id=member,
        reason="voucher never arrived",
        severity="major",
        requested_by=REQUESTER,
    )


async def _refused(handle: Any, update: str, decision: ReviewDecision) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, decision, result_type=AssistedUpdateResult)
    return str(failed.value.cause)


async def test_only_roles_the_policy_names_may_decide(
    assisted: AssistedHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=100)
    handle = await assisted.start(major_case(member))
    await wait_for_status(handle, AssistedStatus.AWAITING_APPROVAL)

    agent = await _refused(
        handle,
        UPDATE_APPROVE,
        ReviewDecision(agent_id="agent-8", role="support_agent", reason="fine"),
    )
    unnamed = await _refused(handle, UPDATE_REJECT, ReviewDecision(agent_id="x-1", reason="nope"))
    approved = await handle.execute_update(
        UPDATE_APPROVE,
        ReviewDecision(agent_id="op-2", role="operator", reason="checked the ticket"),
        result_type=AssistedUpdateResult,
    )

    assert "POL-APPROVAL-001 names operator, support_lead" in agent
    assert "role unknown" in unnamed
    assert approved.status == AssistedStatus.EXECUTING or approved.status.is_final
    assert (await handle.result()).status == AssistedStatus.COMPLETED


async def test_above_the_threshold_two_different_people_approve(
    lowered: AssistedHarness,
    new_member: MemberFactory,
    ledger: Ledger,
    sessions: sessionmaker[Session],
) -> None:
    member = new_member(points=100)
    handle = await lowered.start(major_case(member))
    await wait_for_status(handle, AssistedStatus.AWAITING_APPROVAL)
    lead = ReviewDecision(agent_id="lead-3", role="support_lead", reason="checked the ticket")

    first = await handle.execute_update(UPDATE_APPROVE, lead, result_type=AssistedUpdateResult)
    again = await _refused(handle, UPDATE_APPROVE, lead)
    waiting = await wait_for_status(handle, AssistedStatus.AWAITING_APPROVAL)
    balance_between = ledger.balance(member_id=member).available
    second = await handle.execute_update(
        UPDATE_APPROVE,
        ReviewDecision(agent_id="op-2", role="operator", reason="second pair of eyes"),
        result_type=AssistedUpdateResult,
    )
    state = await handle.result()

    assert first.status == AssistedStatus.AWAITING_APPROVAL and "second approver" in first.message
    assert "another person" in again
    assert [a.approver for a in waiting.approvals] == ["lead-3"] and balance_between == 100
    assert second.accepted and state.status == AssistedStatus.COMPLETED, state.reasons
    assert state.decision is not None
    assert (state.decision.approver, state.decision.second_approver) == ("lead-3", "op-2")
    assert ledger.balance(member_id=member).available == 1_100
    with sessions() as session:
        logged = get_decision(session, decision_id=state.case_id).decision
    assert logged is not None and (logged.approver, logged.second_approver) == ("lead-3", "op-2")

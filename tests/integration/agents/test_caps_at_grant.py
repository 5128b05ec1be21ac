"""Goodwill caps and budgets hold at the moment a credit posts, not only when it was proposed.

POL-GOODWILL-001 allows two goodwill credits per member in 30 days and
POL-BUDGET-001 caps the program's goodwill points per day and month. The
guardrails check a proposal against a snapshot; these cases pass that check
together (concurrent cases) or long before they post (an approval), and the
ledger must still refuse what would pass a cap: the case ends ``rejected``,
naming the cap, and no point is credited.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from loyalty.contracts.assisted import (
    UPDATE_APPROVE,
    AssistedRequest,
    AssistedState,
    AssistedStatus,
    AssistedUpdateResult,
    ReviewDecision,
)
from loyalty.ledger import discretionary
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.integration.agents.conftest import AssistedFactory
from tests.support.assisted import AssistedHarness, wait_for_status
from tests.support.policies import policies_with

MEMBER_CAP = "goodwill credit(s) in 30 days (limit 2)"


def case(member: str, severity: str = "minor") -> AssistedRequest:
    return AssistedRequest(
        request_id=unique_id("case"),
        member_id=member,
        reason="parcel delivered late",
        severity=severity,  # type: ignore[arg-type]
        requested_by="agent-7",
    )


async def run_all(harness: AssistedHarness, requests: list[AssistedRequest]) -> list[AssistedState]:
    handles = [await harness.start(request) for request in requests]
    return list(await asyncio.gather(*(handle.result() for handle in handles)))


def by_status(states: list[AssistedState]) -> dict[AssistedStatus, list[AssistedState]]:
    grouped: dict[AssistedStatus, list[AssistedState]] = {}
    for state in states:
        grouped.setdefault(state.status, []).append(state)
    return grouped


async def test_five_concurrent_goodwill_cases_for_one_member_credit_two(
    assisted: AssistedHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=100)

    states = by_status(await run_all(assisted, [case(member) for _ in range(5)]))

    completed, rejected = states[AssistedStatus.COMPLETED], states[AssistedStatus.REJECTED]
    assert (len(completed), len(rejected)) == (2, 3), states.keys()
    assert all(any(MEMBER_CAP in r for r in s.reasons) for s in rejected)
    credited = sum(s.points for s in completed)
    assert ledger.balance(member_id=member).available == 100 + credited


async def test_an_approval_after_the_cap_filled_is_rejected(
    assisted: AssistedHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=100)
    waiting = await assisted.start(case(member, "major"))
    await wait_for_status(waiting, AssistedStatus.AWAITING_APPROVAL)
    filled = await run_all(assisted, [case(member), case(member)])
    assert [s.status for s in filled] == [AssistedStatus.COMPLETED] * 2
    balance = ledger.balance(member_id=member).available

    await waiting.execute_update(
        UPDATE_APPROVE,
        ReviewDecision(agent_id="lead-3", role="support_lead", reason="checked the ticket"),
        result_type=AssistedUpdateResult,
    )
    approved = await waiting.result()

    assert approved.status == AssistedStatus.REJECTED
    assert any(MEMBER_CAP in reason for reason in approved.reasons)
    assert ledger.balance(member_id=member).available == balance


async def test_a_burst_across_members_stops_at_the_monthly_budget(
    assisted: AssistedHarness,
    assisted_factory: AssistedFactory,
    new_member: MemberFactory,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    probe = await assisted.run(case(new_member(points=100)))  # the size of one minor credit
    assert probe.status == AssistedStatus.COMPLETED
    credit = probe.points
    now = dt.datetime.now(dt.UTC)
    with sessions() as session:  # since the 1st: every goodwill credit this database holds
        month = discretionary.points_granted_today(session, now=now.replace(day=1)).goodwill
    budget = month + 2 * credit + credit // 2
    policies = policies_with(
        tmp_path / "policies", {"program-budget.md": {"goodwill_monthly_budget_points": budget}}
    )

    async with assisted_factory(settings={"policies_dir": policies}) as harness:
        states = by_status(await run_all(harness, [case(new_member(points=100)) for _ in range(5)]))

    assert len(states[AssistedStatus.COMPLETED]) == 2
    assert len(states[AssistedStatus.REJECTED]) == 3
    assert all(
        any(f"of {budget} monthly goodwill points already granted" in r for r in s.reasons)
        for s in states[AssistedStatus.REJECTED]
    )

"""A freeze that lands between a redemption's decision and its hold still stops it."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from loyalty.contracts import redemption as act
from loyalty.contracts.redemption import RedemptionStatus
from loyalty.ledger.models import Member
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory
from tests.support.redemptions import ledger_kinds, redemption_request
from tests.support.temporal import SagaHarness


async def test_a_freeze_after_the_decision_refuses_the_hold_and_nothing_moves(
    saga: SagaHarness,
    ledger: Ledger,
    new_member: MemberFactory,
    sessions: sessionmaker[Session],
) -> None:
    member = new_member(points=5_000)
    saga.faults.delay(act.RESERVE_POINTS, 1.0)  # the decision said proceed; the hold waits
    handle = await saga.start(redemption_request(member))
    while saga.faults.calls[act.RESERVE_POINTS] == 0:
        await asyncio.sleep(0.02)
    with sessions.begin() as session:
        session.execute(update(Member).where(Member.id == member).values(status="frozen"))

    state = await handle.result()

    assert state.status == RedemptionStatus.REJECTED, state.reasons
    assert any("frozen" in reason for reason in state.reasons), state.reasons
    assert ledger_kinds(ledger, member) == ["accrue"]
    assert ledger.balance(member_id=member).available == 5_000

"""A frozen account cannot reserve points, whatever raced past the redemption decision."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from loyalty.errors import NotEligibleError
from loyalty.ledger.models import Member
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id


def test_a_hold_for_a_frozen_account_is_refused_and_moves_nothing(
    ledger: Ledger, new_member: MemberFactory, sessions: sessionmaker[Session]
) -> None:
    member = new_member(points=5_000)
    with sessions.begin() as session:  # frozen after its redemption was decided
        session.execute(update(Member).where(Member.id == member).values(status="frozen"))

    with pytest.raises(NotEligibleError) as refused:
        ledger.hold(member_id=member, points=1_000, idempotency_key=unique_id("hold"))

    assert "frozen" in refused.value.message
    assert ledger.balance(member_id=member).available == 5_000
    assert [e.kind for e in ledger.entries(member_id=member)] == ["accrue"]

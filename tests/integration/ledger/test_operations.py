"""Every ledger operation against real PostgreSQL: effect, idempotent repeat, conflicting repeat."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from loyalty.errors import (
    IdempotencyConflictError,
    InsufficientPointsError,
    InvalidStateError,
    NotFoundError,
    ValidationError,
)
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id

NEXT_YEAR = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)


def assert_clean(ledger: Ledger, member_id: str) -> None:
    assert ledger.reconcile(member_id=member_id) == []


def test_accrue_credits_and_repeat_returns_first_result(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member()
    key = unique_id("accrue")
    first = ledger.accrue(member_id=member, points=500, expires_at=NEXT_YEAR, idempotency_key=key)
    again = ledger.accrue(member_id=member, points=500, expires_at=NEXT_YEAR, idempotency_key=key)

    assert first.available_after == 500 and not first.replayed
    assert again.entry_id == first.entry_id and again.replayed
    assert ledger.balance(member_id=member).available == 500
    assert len(ledger.entries(member_id=member)) == 1
    assert_clean(ledger, member)


def test_repeat_with_different_arguments_is_a_conflict_and_writes_nothing(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member()
    key = unique_id("accrue")
    ledger.accrue(member_id=member, points=500, expires_at=NEXT_YEAR, idempotency_key=key)

    with pytest.raises(IdempotencyConflictError):
        ledger.accrue(member_id=member, points=501, expires_at=NEXT_YEAR, idempotency_key=key)

    assert ledger.balance(member_id=member).available == 500
    assert len(ledger.entries(member_id=member)) == 1


def test_same_key_for_another_member_is_a_conflict(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    first, second = new_member(), new_member()
    key = unique_id("accrue")
    ledger.accrue(member_id=first, points=10, expires_at=NEXT_YEAR, idempotency_key=key)
    with pytest.raises(IdempotencyConflictError):
        ledger.accrue(member_id=second, points=10, expires_at=NEXT_YEAR, idempotency_key=key)
    assert ledger.balance(member_id=second).available == 0


def test_hold_moves_available_to_held_and_is_idempotent(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=1_000)
    key = unique_id("hold")
    hold = ledger.hold(member_id=member, points=300, idempotency_key=key, reference="r1")
    again = ledger.hold(member_id=member, points=300, idempotency_key=key, reference="r1")

    assert again.hold_id == hold.hold_id and again.replayed
    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (700, 300)
    with pytest.raises(IdempotencyConflictError):
        ledger.hold(member_id=member, points=301, idempotency_key=key, reference="r1")
    assert_clean(ledger, member)


def test_hold_beyond_balance_is_a_typed_refusal_with_no_write(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=100)
    with pytest.raises(InsufficientPointsError) as refused:
        ledger.hold(member_id=member, points=101, idempotency_key=unique_id("hold"))
    assert "100 available" in refused.value.reasons[0]
    assert len(ledger.entries(member_id=member)) == 1
    assert_clean(ledger, member)


def test_release_restores_points_and_is_idempotent(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=1_000)
    hold = ledger.hold(member_id=member, points=400, idempotency_key=unique_id("hold"))
    assert hold.hold_id is not None
    key = unique_id("release")
    ledger.release(hold_id=hold.hold_id, idempotency_key=key)
    again = ledger.release(hold_id=hold.hold_id, idempotency_key=key)

    assert again.replayed
    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (1_000, 0)
    with pytest.raises(InvalidStateError):
        ledger.release(hold_id=hold.hold_id, idempotency_key=unique_id("release"))
    assert_clean(ledger, member)


def test_capture_spends_held_points_once(ledger: Ledger, new_member: MemberFactory) -> None:
    member = new_member(points=1_000)
    hold = ledger.hold(member_id=member, points=250, idempotency_key=unique_id("hold"))
    assert hold.hold_id is not None
    key = unique_id("capture")
    ledger.capture(hold_id=hold.hold_id, idempotency_key=key)
    ledger.capture(hold_id=hold.hold_id, idempotency_key=key)

    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (750, 0)
    with pytest.raises(InvalidStateError):
        ledger.release(hold_id=hold.hold_id, idempotency_key=unique_id("release"))
    with pytest.raises(InvalidStateError):
        ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))
    assert_clean(ledger, member)


def test_reverse_refunds_at_most_what_was_captured(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=1_000)
    hold = ledger.hold(member_id=member, points=600, idempotency_key=unique_id("hold"))
    assert hold.hold_id is not None
    with pytest.raises(InvalidStateError):
        ledger.reverse(
            hold_id=hold.hold_id,
            points=1,
            idempotency_key=unique_id("rev"),
            reason="not captured yet",
            actor="agent-1",
        )
    ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))

    key = unique_id("reverse")
    ledger.reverse(
        hold_id=hold.hold_id, points=200, idempotency_key=key, reason="partial", actor="agent-1"
    )
    ledger.reverse(
        hold_id=hold.hold_id, points=200, idempotency_key=key, reason="partial", actor="agent-1"
    )
    assert ledger.balance(member_id=member).available == 600
    with pytest.raises(InvalidStateError):
        ledger.reverse(
            hold_id=hold.hold_id,
            points=401,
            idempotency_key=unique_id("reverse"),
            reason="too much",
            actor="agent-1",
        )
    ledger.reverse(
        hold_id=hold.hold_id,
        points=400,
        idempotency_key=unique_id("reverse"),
        reason="rest",
        actor="agent-1",
    )
    assert ledger.balance(member_id=member).available == 1_000
    assert_clean(ledger, member)


def test_adjust_credit_and_debit_need_reason_and_actor(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=100)
    ledger.adjust(
        member_id=member,
        points=50,
        reason="goodwill",
        actor="agent-7",
        idempotency_key=unique_id("adj"),
        expires_at=NEXT_YEAR,
    )
    ledger.adjust(
        member_id=member,
        points=-30,
        reason="duplicate accrual",
        actor="agent-7",
        idempotency_key=unique_id("adj"),
    )
    assert ledger.balance(member_id=member).available == 120
    with pytest.raises(InsufficientPointsError):
        ledger.adjust(
            member_id=member,
            points=-121,
            reason="x",
            actor="agent-7",
            idempotency_key=unique_id("adj"),
        )
    with pytest.raises(ValidationError):
        ledger.adjust(
            member_id=member,
            points=10,
            reason=" ",
            actor="agent-7",
            idempotency_key=unique_id("adj"),
            expires_at=NEXT_YEAR,
        )
    with pytest.raises(ValidationError):
        ledger.adjust(
            member_id=member,
            points=10,
            reason="no expiry",
            actor="agent-7",
            idempotency_key=unique_id("adj"),
        )
    entries = ledger.entries(member_id=member)
    assert [e.actor for e in entries[:2]] == ["agent-7", "agent-7"]
    assert_clean(ledger, member)


@pytest.mark.parametrize("points", [0, -5, 1.5, True])
def test_non_positive_or_non_integer_points_are_refused(
    ledger: Ledger, new_member: MemberFactory, points: object
) -> None:
    member = new_member(points=100)
    with pytest.raises(ValidationError):
        ledger.hold(member_id=member, points=points, idempotency_key=unique_id("hold"))  # type: ignore[arg-type]
    assert len(ledger.entries(member_id=member)) == 1


def test_unknown_member_and_hold_are_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError):
        ledger.hold(member_id="nobody", points=1, idempotency_key=unique_id("hold"))
    with pytest.raises(NotFoundError):
        ledger.release(hold_id=999_999_999, idempotency_key=unique_id("release"))


def test_entries_are_append_only_in_the_database(
    owner_sessions: sessionmaker[Session], new_member: MemberFactory
) -> None:
    """Even the owner, who holds every privilege, meets the append-only trigger."""
    member = new_member(points=10)
    for statement in (
        "UPDATE ledger_entries SET delta_available = 1000 WHERE member_id = :m",
        "DELETE FROM ledger_entries WHERE member_id = :m",
        "UPDATE audit_log SET reason = 'x'",
    ):
        with pytest.raises(DBAPIError, match="append-only"), owner_sessions.begin() as session:
            session.execute(text(statement), {"m": member})


def test_database_refuses_a_negative_balance(
    sessions: sessionmaker[Session], new_member: MemberFactory
) -> None:
    member = new_member(points=10)
    with pytest.raises(DBAPIError, match="account_available_non_negative"), sessions.begin() as s:
        s.execute(text("UPDATE accounts SET available = -1 WHERE member_id = :m"), {"m": member})


def test_reconcile_reports_a_tampered_projection(
    sessions: sessionmaker[Session], ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=10)
    tamper = text("UPDATE accounts SET available = available + :n WHERE member_id = :m")
    with sessions.begin() as session:
        session.execute(tamper, {"n": 5, "m": member})
    checks = {d.check for d in ledger.reconcile(member_id=member)}
    with sessions.begin() as session:  # undo: other tests reconcile the whole shared ledger
        session.execute(tamper, {"n": -5, "m": member})
    assert checks == {"available_vs_entries", "available_vs_lots"}

"""Operations that wait for the account lock still see what the lock's holder committed.

The ledger reads the idempotency key in the statement that locks the account. That read
uses the snapshot taken before the lock was granted; these tests make two calls with one
key wait behind a third transaction's lock, so the second call to get the lock must notice
the first call's entry, committed while it waited, and replay it (not refuse the key as a
conflict, nor post twice).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from loyalty.ledger.models import Account
from loyalty.ledger.repository import Ledger
from loyalty.ledger.results import EntryResult
from tests.conftest import MemberFactory, unique_id

WAIT_S = 20.0


def _waiting_for_locks(sessions: sessionmaker[Session]) -> int:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with sessions() as session:
        return int(session.scalar(query) or 0)


def _behind_a_lock(
    sessions: sessionmaker[Session], member: str, calls: list[Callable[[], EntryResult]]
) -> list[EntryResult]:
    """Run ``calls`` while another transaction holds ``member``'s account lock, then free it."""
    with ThreadPoolExecutor(len(calls)) as pool:
        with sessions.begin() as locker:
            locker.scalars(
                select(Account).where(Account.member_id == member).with_for_update()
            ).one()
            futures: list[Future[EntryResult]] = [pool.submit(call) for call in calls]
            deadline = time.monotonic() + WAIT_S
            while _waiting_for_locks(sessions) < len(calls):
                assert time.monotonic() < deadline, "the calls never queued on the account lock"
                assert not any(f.done() for f in futures), [f.exception() for f in futures]
                time.sleep(0.02)
        return [f.result(timeout=WAIT_S) for f in futures]


def test_two_holds_with_one_key_queued_on_the_lock_post_once(
    ledger: Ledger, new_member: MemberFactory, sessions: sessionmaker[Session]
) -> None:
    member = new_member(points=1_000)
    key = unique_id("hold")

    def hold() -> EntryResult:
        return ledger.hold(member_id=member, points=100, idempotency_key=key)

    first, second = _behind_a_lock(sessions, member, [hold, hold])

    assert first.entry_id == second.entry_id
    assert sorted([first.replayed, second.replayed]) == [False, True]
    assert ledger.balance(member_id=member).held == 100
    assert ledger.reconcile(member_id=member) == []


def test_two_captures_with_one_key_queued_on_the_lock_post_once(
    ledger: Ledger, new_member: MemberFactory, sessions: sessionmaker[Session]
) -> None:
    member = new_member(points=1_000)
    hold = ledger.hold(member_id=member, points=300, idempotency_key=unique_id("hold"))
    assert hold.hold_id is not None
    hold_id, key = hold.hold_id, unique_id("capture")

    def capture() -> EntryResult:
        return ledger.capture(hold_id=hold_id, idempotency_key=key)

    first, second = _behind_a_lock(sessions, member, [capture, capture])

    assert first.entry_id == second.entry_id
    assert sorted([first.replayed, second.replayed]) == [False, True]
    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (700, 0)
    assert ledger.reconcile(member_id=member) == []

"""How many statements a hold and a capture send PostgreSQL (``docs/performance.md``).

Each statement is a round trip under the account lock; these counts keep the
idempotency look-up folded into the locking statement (see
``loyalty.ledger.operation.lock_account_with_key``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_hold_and_its_capture_take_eight_and_four_statements(
    ledger: Ledger, new_member: MemberFactory, engine: Engine
) -> None:
    member = new_member(points=1_000)
    with _statements(engine) as hold_sent:
        hold = ledger.hold(member_id=member, points=100, idempotency_key=unique_id("hold"))
    assert hold.hold_id is not None
    with _statements(engine) as capture_sent:
        ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))

    # lock + key; tombstone + freeze; lots; lot, hold, allocation, account, entry
    assert len(hold_sent) == 8, hold_sent
    # lock + owner + key + hold; hold, account, entry
    assert len(capture_sent) == 4, capture_sent


def test_a_repeat_is_one_statement(
    ledger: Ledger, new_member: MemberFactory, engine: Engine
) -> None:
    member = new_member(points=1_000)
    key = unique_id("hold")
    first = ledger.hold(member_id=member, points=100, idempotency_key=key)
    with _statements(engine) as sent:
        again = ledger.hold(member_id=member, points=100, idempotency_key=key)
    assert (again.entry_id, again.replayed) == (first.entry_id, True)
    assert len(sent) == 1, sent

"""What must hold once every saga has ended, each broken rule named per saga or per member.

- none lost: every saga asked for reached a terminal status;
- no points created or destroyed: ``loyalty reconcile`` is clean, and each member was
  debited exactly the price of its completed redemptions (nothing held at the end);
- no double capture: at most one captured hold and one capture entry per redemption,
  exactly one for a completed one, none for the others;
- no orphan hold: no active hold is left for any redemption;
- one live voucher at the partner per completed redemption, none for the others, and
  none the run did not ask for;
- stock exact: the limited reward lost exactly the units of its completed redemptions.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import text

from bench.faults.load import FINAL, NOT_STARTED, Saga
from bench.stack import LIMITED, LocalStack
from loyalty.ledger.db import make_engine
from tests.support.stack import LOYALTY


@dataclass(frozen=True)
class Violation:
    rule: str
    subject: str  # a redemption id, a member id, or "ledger" / "partner" / "stock"
    detail: str
    sagas: tuple[int, ...] = ()  # the saga numbers it concerns (for the fault table)


_PER_REDEMPTION = text(
    """
    SELECT h.reference,
           COUNT(*) FILTER (WHERE h.status = 'active'),
           COUNT(*) FILTER (WHERE h.status = 'captured'),
           (SELECT COUNT(*) FROM ledger_entries e
              JOIN holds h2 ON h2.id = e.hold_id
             WHERE h2.reference = h.reference AND e.kind = 'capture')
    FROM holds h WHERE h.reference <> '' GROUP BY h.reference
    """
)
_ACCOUNTS = text("SELECT member_id, available, held FROM accounts WHERE member_id LIKE 'F%'")
_STOCK = text("SELECT inventory, stock_received FROM rewards WHERE id = :id")


def check(stack: LocalStack, sagas: list[Saga]) -> list[Violation]:
    """Every violation; a saga still running is reported lost, and its effects (and its
    member's balance, and the stock if it wanted the limited reward) are not judged."""
    found = _lost(sagas) + _reconcile(stack)
    running = [s for s in sagas if s.status not in FINAL and s.status != NOT_STARTED]
    busy = {s.member_id for s in running}
    sagas = [s for s in sagas if s not in running]
    engine = make_engine(stack.stack.migration_url, pool_size=1)
    try:
        with engine.connect() as conn:
            found += _holds(conn, sagas)
            found += _debits(conn, sagas, stack.funds, busy)
            if not any(s.reward_id == LIMITED for s in running):
                found += _stock(conn, sagas, stack.limited_stock)
    finally:
        engine.dispose()
    return found + _vouchers(stack, sagas, {s.redemption_id or "" for s in running})


def _lost(sagas: list[Saga]) -> list[Violation]:
    return [
        Violation("lost", s.redemption_id or s.request_id, f"ended as {s.status}", (s.number,))
        for s in sagas
        if s.status not in FINAL and s.status != NOT_STARTED
    ]


def _reconcile(stack: LocalStack) -> list[Violation]:
    run = subprocess.run(
        [str(LOYALTY), "reconcile", "--json"],
        env={**stack.stack.env(), "LOYALTY_TEMPORAL_ADDRESS": stack.stack.temporal_address},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if run.returncode == 0:
        return []
    return [Violation("reconcile", "ledger", (run.stdout + run.stderr).strip()[:2000])]


def _holds(conn, sagas: list[Saga]) -> list[Violation]:  # type: ignore[no-untyped-def]
    rows = {r[0]: r[1:] for r in conn.execute(_PER_REDEMPTION)}
    found = []
    for saga in sagas:
        active, captured, captures = rows.get(saga.redemption_id, (0, 0, 0))
        want = 1 if saga.status == "completed" else 0
        subject, who = saga.redemption_id or saga.request_id, (saga.number,)
        if active:
            found.append(Violation("orphan_hold", subject, f"{active} active hold(s)", who))
        if captured != want or captures != want:
            found.append(
                Violation(
                    "capture",
                    subject,
                    f"{saga.status}: {captured} captured hold(s), {captures} capture entries",
                    who,
                )
            )
    return found


def _debits(conn, sagas: list[Saga], funds: int, busy: set[str]) -> list[Violation]:  # type: ignore[no-untyped-def]
    price: dict[str, int] = defaultdict(int)
    numbers: dict[str, list[int]] = defaultdict(list)
    for saga in sagas:
        numbers[saga.member_id].append(saga.number)
        if saga.status == "completed":
            price[saga.member_id] += saga.points
    found = []
    for member, available, held in conn.execute(_ACCOUNTS):
        debited = funds - available
        if member in busy:
            continue
        if held or debited != price[member]:
            found.append(
                Violation(
                    "debit",
                    member,
                    f"debited {debited} (held {held}), completed redemptions cost {price[member]}",
                    tuple(numbers[member]),
                )
            )
    return found


def _stock(conn, sagas: list[Saga], stock: int) -> list[Violation]:  # type: ignore[no-untyped-def]
    inventory, received = conn.execute(_STOCK, {"id": LIMITED}).one()
    sold = sum(1 for s in sagas if s.reward_id == LIMITED and s.status == "completed")
    if received == stock and inventory == stock - sold:
        return []
    return [Violation("stock", LIMITED, f"inventory {inventory} of {received}, {sold} sold")]


def _vouchers(stack: LocalStack, sagas: list[Saga], unjudged: set[str]) -> list[Violation]:
    live: dict[str, int] = defaultdict(int)
    for voucher in stack.vouchers():
        if voucher["status"] != "voided":
            live[voucher["idempotency_key"].rsplit(":", 1)[0]] += 1
    found = []
    for saga in sagas:
        want = 1 if saga.status == "completed" else 0
        have = live.pop(saga.redemption_id or "", 0)
        if have != want:
            subject = saga.redemption_id or saga.request_id
            found.append(
                Violation(
                    "voucher", subject, f"{saga.status}: {have} live voucher(s)", (saga.number,)
                )
            )
    found += [
        Violation("voucher", key, f"{n} live voucher(s) nobody asked for")
        for key, n in live.items()
        if key not in unjudged
    ]
    return found

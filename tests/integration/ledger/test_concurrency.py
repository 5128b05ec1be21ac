"""Concurrent holds on one account never overdraw it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from loyalty.errors import InsufficientPointsError
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id


def test_fifty_concurrent_holds_never_overdraw(ledger: Ledger, new_member: MemberFactory) -> None:
    member = new_member(points=1_000)
    sizes = [30 + (i % 7) * 10 for i in range(50)]  # 30..90 points, far more than 1,000 in all

    def try_hold(points: int) -> int:
        try:
            ledger.hold(member_id=member, points=points, idempotency_key=unique_id("hold"))
        except InsufficientPointsError:
            return 0
        return points

    with ThreadPoolExecutor(max_workers=25) as pool:
        held = list(pool.map(try_hold, sizes))

    succeeded = [p for p in held if p]
    balance = ledger.balance(member_id=member)
    assert sum(sizes) > 1_000, "the test must ask for more than the balance"
    assert 0 < len(succeeded) < len(sizes)
    assert sum(succeeded) <= 1_000
    assert balance.held == sum(succeeded)
    assert balance.available == 1_000 - sum(succeeded) >= 0
    # What is left cannot cover the smallest request, or a hold was wrongly refused.
    assert balance.available < min(sizes)
    assert ledger.reconcile(member_id=member) == []


def test_concurrent_repeats_of_one_key_post_once(ledger: Ledger, new_member: MemberFactory) -> None:
    member = new_member(points=1_000)
    key = unique_id("hold")

    def hold_once(_: int) -> int | None:
        return ledger.hold(member_id=member, points=100, idempotency_key=key).hold_id

    with ThreadPoolExecutor(max_workers=10) as pool:
        hold_ids = set(pool.map(hold_once, range(20)))

    assert len(hold_ids) == 1
    assert ledger.balance(member_id=member).held == 100
    assert ledger.reconcile(member_id=member) == []


def test_concurrent_partial_refunds_never_exceed_the_capture(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=1_000)
    hold = ledger.hold(member_id=member, points=500, idempotency_key=unique_id("hold"))
    assert hold.hold_id is not None
    ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))
    hold_id = hold.hold_id

    def refund(_: int) -> int:
        try:
            ledger.reverse(
                hold_id=hold_id,
                points=120,
                idempotency_key=unique_id("rev"),
                reason="race",
                actor="agent",
            )
        except Exception:
            return 0
        return 120

    with ThreadPoolExecutor(max_workers=10) as pool:
        refunded = sum(pool.map(refund, range(10)))

    assert refunded == 480  # four refunds of 120 fit in 500; a fifth would exceed it
    assert ledger.balance(member_id=member).available == 500 + 480
    assert ledger.reconcile(member_id=member) == []

"""The ledger enforces a member's daily and monthly redemption ceilings when it reserves.

The decision refuses early with a clear reason, but two redemptions decided at
the same moment both see the same spend; the hold re-checks under the account
lock, so however many race, the member's redeemed points stay under the ceiling.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from loyalty.domain.limits import SpendCeiling
from loyalty.errors import LimitExceededError
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id

DAY = SpendCeiling(daily=5_000, monthly=1_000_000)


def hold(ledger: Ledger, member: str, points: int, ceiling: SpendCeiling = DAY) -> int:
    entry = ledger.hold(
        member_id=member, points=points, idempotency_key=unique_id("hold"), ceiling=ceiling
    )
    assert entry.hold_id is not None
    return entry.hold_id


def test_a_hold_past_the_daily_ceiling_is_refused(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=20_000)
    hold(ledger, member, 3_000)
    with pytest.raises(LimitExceededError, match="3000 redeemed today"):
        hold(ledger, member, 2_500)
    hold(ledger, member, 2_000)  # exactly at the ceiling is allowed
    assert ledger.balance(member_id=member).held == 5_000


def test_the_monthly_ceiling_is_enforced_too(ledger: Ledger, new_member: MemberFactory) -> None:
    member = new_member(points=20_000)
    month = SpendCeiling(daily=100_000, monthly=4_000)
    hold(ledger, member, 3_000, month)
    with pytest.raises(LimitExceededError, match="monthly limit of 4000"):
        hold(ledger, member, 1_500, month)


def test_released_and_refunded_points_go_back_to_the_counters(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=20_000)
    released = hold(ledger, member, 4_000)
    ledger.release(hold_id=released, idempotency_key=unique_id("release"))
    captured = hold(ledger, member, 5_000)  # the released 4,000 no longer count
    ledger.capture(hold_id=captured, idempotency_key=unique_id("capture"))
    with pytest.raises(LimitExceededError):
        hold(ledger, member, 500)
    ledger.reverse(
        hold_id=captured,
        points=2_000,
        idempotency_key=unique_id("refund"),
        reason="refund",
        actor="test",
    )
    hold(ledger, member, 2_000)  # the refunded 2,000 count no more


def test_a_repeat_of_an_accepted_hold_is_not_refused_by_its_own_points(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=20_000)
    key = unique_id("hold")
    first = ledger.hold(member_id=member, points=5_000, idempotency_key=key, ceiling=DAY)
    again = ledger.hold(member_id=member, points=5_000, idempotency_key=key, ceiling=DAY)
    assert again.hold_id == first.hold_id


def test_racing_holds_never_pass_the_ceiling(ledger: Ledger, new_member: MemberFactory) -> None:
    member = new_member(points=100_000)  # the balance is never what stops them

    def try_hold(_: int) -> int:
        try:
            hold(ledger, member, 1_000)
        except LimitExceededError:
            return 0
        return 1_000

    with ThreadPoolExecutor(max_workers=12) as pool:
        held = list(pool.map(try_hold, range(24)))

    assert sum(held) == DAY.daily, "exactly the ceiling is reserved, never more"
    assert ledger.balance(member_id=member).held == DAY.daily
    assert ledger.reconcile(member_id=member) == []

"""Stock moves with the points, and a release that comes first stops a late hold.

A cancelled saga releases its hold by key; if the hold had not landed yet, the
release leaves a tombstone, so the hold is refused when it finally arrives.
Stock is reserved with the hold, returned on release, consumed on capture and
restocked by refunds, and reconciliation proves it for every reward.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session, sessionmaker

from loyalty.errors import HoldCancelledError, InvalidStateError, OutOfStockError
from loyalty.ledger.catalog import upsert_reward
from loyalty.ledger.models import Reward
from loyalty.ledger.reconcile import reconcile_stock
from loyalty.ledger.repository import Ledger
from loyalty.seed import _reward
from tests.conftest import MemberFactory, RewardFactory, unique_id


def inventory(sessions: sessionmaker[Session], reward_id: str) -> int | None:
    with sessions() as session:
        reward = session.get(Reward, reward_id)
        assert reward is not None
        return reward.inventory


def stock_discrepancies(sessions: sessionmaker[Session], reward_id: str) -> list[str]:
    with sessions() as session:
        return [d.check for d in reconcile_stock(session) if d.subject == reward_id]


def test_a_release_before_the_hold_leaves_a_tombstone_and_the_late_hold_is_refused(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=1_000)
    hold_key = unique_id("redemption") + ":reserve_points"

    released = ledger.release_key(
        member_id=member, hold_key=hold_key, idempotency_key=unique_id("release")
    )
    with pytest.raises(HoldCancelledError):
        ledger.hold(member_id=member, points=300, idempotency_key=hold_key)

    assert released is None
    balance = ledger.balance(member_id=member)
    assert (balance.available, balance.held) == (1_000, 0)
    assert ledger.reconcile(member_id=member) == []


def test_release_by_key_returns_points_and_units(
    ledger: Ledger,
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
    new_reward: RewardFactory,
) -> None:
    member, reward = new_member(points=1_000), new_reward(inventory=3)
    hold_key = unique_id("hold")
    ledger.hold(member_id=member, points=400, idempotency_key=hold_key, reward_id=reward, units=2)
    assert inventory(sessions, reward) == 1

    release_key = unique_id("release")
    first = ledger.release_key(member_id=member, hold_key=hold_key, idempotency_key=release_key)
    again = ledger.release_key(member_id=member, hold_key=hold_key, idempotency_key=release_key)

    assert first is not None and again is not None and again.replayed
    assert ledger.balance(member_id=member).available == 1_000
    assert inventory(sessions, reward) == 3
    assert stock_discrepancies(sessions, reward) == []


def test_a_hold_released_under_another_key_is_left_alone(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=1_000)
    hold_key = unique_id("hold")
    hold = ledger.hold(member_id=member, points=400, idempotency_key=hold_key)
    assert hold.hold_id is not None
    ledger.release(hold_id=hold.hold_id, idempotency_key=unique_id("sweep"))

    second = ledger.release_key(
        member_id=member, hold_key=hold_key, idempotency_key=unique_id("release")
    )

    assert second is None
    assert ledger.balance(member_id=member).available == 1_000
    assert ledger.reconcile(member_id=member) == []


def test_a_captured_hold_cannot_be_released_by_key(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=1_000)
    hold_key = unique_id("hold")
    hold = ledger.hold(member_id=member, points=400, idempotency_key=hold_key)
    assert hold.hold_id is not None
    ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))

    with pytest.raises(InvalidStateError):
        ledger.release_key(member_id=member, hold_key=hold_key, idempotency_key=unique_id("rel"))
    assert ledger.balance(member_id=member).available == 600


def test_eight_concurrent_holds_on_three_units_take_at_most_three(
    ledger: Ledger,
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
    new_reward: RewardFactory,
) -> None:
    reward = new_reward(inventory=3)
    members = [new_member(points=1_000) for _ in range(8)]

    def try_hold(member: str) -> bool:
        try:
            ledger.hold(
                member_id=member,
                points=500,
                idempotency_key=unique_id("hold"),
                reward_id=reward,
                units=1,
            )
        except OutOfStockError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        took = list(pool.map(try_hold, members))

    assert sum(took) == 3
    assert inventory(sessions, reward) == 0
    refused = [m for m, ok in zip(members, took, strict=True) if not ok]
    assert all(ledger.balance(member_id=m).available == 1_000 for m in refused)
    assert stock_discrepancies(sessions, reward) == []


def test_capture_consumes_and_refunded_units_go_back_to_stock(
    ledger: Ledger,
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
    new_reward: RewardFactory,
) -> None:
    member, reward = new_member(points=3_000), new_reward(inventory=5)
    hold = ledger.hold(
        member_id=member, points=900, idempotency_key=unique_id("hold"), reward_id=reward, units=3
    )
    assert hold.hold_id is not None
    ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))
    assert inventory(sessions, reward) == 2

    ledger.reverse(
        hold_id=hold.hold_id,
        points=300,
        units=1,
        idempotency_key=unique_id("reverse"),
        reason="one unit returned",
        actor="agent-1",
    )
    with pytest.raises(InvalidStateError):
        ledger.reverse(
            hold_id=hold.hold_id,
            points=300,
            units=3,
            idempotency_key=unique_id("reverse"),
            reason="more units than are left",
            actor="agent-1",
        )

    assert inventory(sessions, reward) == 3
    assert stock_discrepancies(sessions, reward) == []
    assert ledger.reconcile(member_id=member) == []


def test_a_catalog_update_never_overwrites_stock(
    sessions: sessionmaker[Session],
    ledger: Ledger,
    new_member: MemberFactory,
    new_reward: RewardFactory,
) -> None:
    reward = new_reward(inventory=4)
    ledger.hold(
        member_id=new_member(points=1_000),
        points=500,
        idempotency_key=unique_id("hold"),
        reward_id=reward,
        units=1,
    )
    with sessions.begin() as session:
        upsert_reward(
            session,
            reward=_reward(reward, "Renamed", "gift_card", 1_200, "bronze", 4, "giftly", None),
        )

    with sessions() as session:
        row = session.get(Reward, reward)
        assert row is not None
        assert (row.name, row.point_cost, row.inventory) == ("Renamed", 1_200, 3)
    assert stock_discrepancies(sessions, reward) == []

"""Random sequences of ledger operations keep every invariant after every step.

An independent model tracks what the sequence should have done (points in,
points out, which holds are active, how much of each capture is left, the
reward's stock); after each step the database must agree with it and
reconcile cleanly. Refused steps must change nothing. Holds reserve stock of
a reward of their own; a release that comes before its hold must make the
late hold fail (the tombstone), whatever happened before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from loyalty.errors import HoldCancelledError, LoyaltyError
from loyalty.ledger.models import Account, LedgerEntry, Reward
from loyalty.ledger.reconcile import reconcile_stock
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, RewardFactory, unique_id
from tests.support.expiry import NOTICE_DAYS, send_notices_on_time

T0 = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)

STOCK = 4
OPENING = 1_500  # so holds, captures and refunds happen from the first step
points = st.integers(min_value=1, max_value=500)
units = st.integers(min_value=0, max_value=2)
step = st.one_of(
    st.tuples(st.just("accrue"), points, st.integers(min_value=1, max_value=60)),
    st.tuples(st.just("hold"), points, units),
    st.tuples(st.just("release"), st.integers(0, 10), st.just(0)),
    st.tuples(st.just("release_key"), st.integers(0, 10), st.just(0)),
    st.tuples(st.just("capture"), st.integers(0, 10), st.just(0)),
    st.tuples(st.just("reverse"), st.integers(0, 10), points),
    st.tuples(st.just("restock"), st.integers(0, 10), points),
    st.tuples(st.just("late_hold"), points, st.just(0)),
    st.tuples(st.just("debit"), points, st.just(0)),
    st.tuples(st.just("advance"), st.integers(min_value=1, max_value=30), st.just(0)),
    st.tuples(st.just("repeat"), st.just(0), st.just(0)),
)


@dataclass
class Model:
    """What the sequence should have done, computed without the ledger's code."""

    points_in: int = 0
    points_out: int = 0
    active: dict[int, int] = field(default_factory=dict)
    captured_left: dict[int, int] = field(default_factory=dict)
    holds: list[int] = field(default_factory=list)
    keys: dict[int, str] = field(default_factory=dict)
    units: dict[int, int] = field(default_factory=dict)
    units_left: dict[int, int] = field(default_factory=dict)
    inventory: int = STOCK


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def pick(holds: list[int], index: int) -> int | None:
    return holds[index % len(holds)] if holds else None


def run_step(
    ledger: Ledger,
    clock: Clock,
    model: Model,
    member: str,
    reward: str,
    op: tuple[str, int, int],
    last: list[tuple[str, dict[str, object]]],
) -> None:
    name, a, b = op
    key = unique_id(name)
    if name == "late_hold":
        # The saga gave up first: its release by key finds no hold, then the hold lands.
        # It must be refused as cancelled whatever the balance: no other reason counts.
        release = ledger.release_key(member_id=member, hold_key=key, idempotency_key=key + ":rel")
        assert release is None
        try:
            ledger.hold(member_id=member, points=a, idempotency_key=key)
        except HoldCancelledError:
            return
        except LoyaltyError as other:
            raise AssertionError(f"a late hold was refused for another reason: {other}") from None
        raise AssertionError("a hold arriving after its release was accepted")
    if name == "accrue":
        call = (
            "accrue",
            {
                "member_id": member,
                "points": a,
                "idempotency_key": key,
                "expires_at": clock.now + dt.timedelta(days=b),
            },
        )
    elif name == "hold":
        call = (
            "hold",
            {
                "member_id": member,
                "points": a,
                "idempotency_key": key,
                "reward_id": reward,
                "units": b,
            },
        )
    elif name in ("release", "capture") and (hold := pick(model.holds, a)) is not None:
        call = (name, {"hold_id": hold, "idempotency_key": key})
    elif name == "release_key" and (hold := pick(model.holds, a)) is not None:
        call = (
            "release_key",
            {"member_id": member, "hold_key": model.keys[hold], "idempotency_key": key},
        )
    elif name in ("reverse", "restock") and (hold := pick(model.holds, a)) is not None:
        call = (
            "reverse",
            {
                "hold_id": hold,
                "points": b,
                "units": min(1, model.units_left.get(hold, 0)) if name == "restock" else 0,
                "idempotency_key": key,
                "reason": "prop",
                "actor": "test",
            },
        )
    elif name == "debit":
        call = (
            "adjust",
            {
                "member_id": member,
                "points": -a,
                "idempotency_key": key,
                "reason": "prop",
                "actor": "test",
            },
        )
    elif name == "advance":
        # Each notice of what falls due went out on its day, so it expires rather than waits.
        for due in ledger.expiring(member_id=member, within=dt.timedelta(days=a)):
            send_notices_on_time(ledger, member_id=member, expires_at=due.expires_at)
        clock.now += dt.timedelta(days=a)
        run = ledger.expire(as_of=clock.now, member_id=member, notice_days_before=NOTICE_DAYS)
        model.points_out += run.points_expired
        return
    elif name == "repeat" and last:
        getattr(ledger, last[-1][0])(**last[-1][1])  # a true retry: must change nothing
        return
    else:
        return
    result = getattr(ledger, call[0])(**call[1])
    last.append(call)
    if result is not None:
        apply_to_model(model, call, result.hold_id)


def apply_to_model(model: Model, call: tuple[str, dict[str, object]], hold_id: int | None) -> None:
    name, args = call
    if name == "release_key":
        assert hold_id is not None
        name, args = "release", {"hold_id": hold_id}
    if name == "accrue":
        model.points_in += int(args["points"])  # type: ignore[call-overload]
    elif name == "hold" and hold_id is not None:
        model.active[hold_id] = int(args["points"])  # type: ignore[call-overload]
        model.holds.append(hold_id)
        model.keys[hold_id] = str(args["idempotency_key"])
        model.units[hold_id] = int(args["units"])  # type: ignore[call-overload]
        model.inventory -= model.units[hold_id]
    elif name == "release":
        model.active.pop(int(args["hold_id"]))  # type: ignore[call-overload]
        model.inventory += model.units[int(args["hold_id"])]  # type: ignore[call-overload]
    elif name == "capture":
        hold = int(args["hold_id"])  # type: ignore[call-overload]
        held = model.active.pop(hold)
        model.captured_left[hold] = held
        model.units_left[hold] = model.units[hold]
        model.points_out += held
    elif name == "reverse":
        hold = int(args["hold_id"])  # type: ignore[call-overload]
        model.captured_left[hold] -= int(args["points"])  # type: ignore[call-overload]
        model.points_out -= int(args["points"])  # type: ignore[call-overload]
        model.units_left[hold] -= int(args["units"])  # type: ignore[call-overload]
        model.inventory += int(args["units"])  # type: ignore[call-overload]
    elif name == "adjust":
        model.points_out -= int(args["points"])  # type: ignore[call-overload]


def check_invariants(
    sessions: sessionmaker[Session], ledger: Ledger, model: Model, member: str, reward: str
) -> None:
    with sessions() as session:
        account = session.get(Account, member)
        stock = session.get(Reward, reward)
        assert account is not None and stock is not None
        available, held = account.available, account.held
        assert stock.inventory == model.inventory >= 0
        assert [d for d in reconcile_stock(session) if d.subject == reward] == []
    assert available >= 0 and held >= 0
    assert held == sum(model.active.values())
    assert available + held == model.points_in - model.points_out
    assert all(left >= 0 for left in model.captured_left.values())
    assert ledger.reconcile(member_id=member) == []


def count_entries(sessions: sessionmaker[Session], member: str) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).where(LedgerEntry.member_id == member)) or 0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(step, min_size=1, max_size=25))
def test_random_operation_sequences_keep_the_invariants(
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
    new_reward: RewardFactory,
    ops: list[tuple[str, int, int]],
) -> None:
    clock = Clock()
    ledger = Ledger(sessions, clock=clock)
    member, reward = new_member(), new_reward(inventory=STOCK)
    model = Model(points_in=OPENING)
    ledger.accrue(
        member_id=member,
        points=OPENING,
        expires_at=T0 + dt.timedelta(days=45),
        idempotency_key=unique_id("opening"),
    )
    last: list[tuple[str, dict[str, object]]] = []
    for op in ops:
        before = count_entries(sessions, member)
        try:
            run_step(ledger, clock, model, member, reward, op, last)
        except LoyaltyError:
            assert count_entries(sessions, member) == before, f"refused {op} wrote an entry"
        check_invariants(sessions, ledger, model, member, reward)

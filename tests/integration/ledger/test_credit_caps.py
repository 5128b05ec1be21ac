"""The ledger re-checks goodwill and retention caps when an assisted credit posts.

The guardrails check a proposal on a snapshot; two cases checked at the same
moment see the same counts. The credit's own transaction locks the member's
account and the month's budget row and counts again, so however many race, a
member never passes their cap and the program never passes its budgets.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session, sessionmaker

from loyalty.domain.credit_caps import CreditLimits, CreditPurpose
from loyalty.errors import CapReachedError
from loyalty.ledger import discretionary
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id

CREDIT = 100


def _granted_so_far(sessions: sessionmaker[Session], purpose: CreditPurpose) -> tuple[int, int]:
    """Program-wide points of ``purpose`` granted today and this month (other tests' too)."""
    now = dt.datetime.now(dt.UTC)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with sessions() as session:
        today = discretionary.points_granted_today(session, now=now)
        month = discretionary.points_granted_today(session, now=month_start)
    field = purpose.value
    return getattr(today, field), getattr(month, field)


def grant(
    ledger: Ledger,
    member: str,
    limits: CreditLimits,
    *,
    points: int = CREDIT,
    by_person: bool = False,
) -> int:
    entry = ledger.adjust(
        member_id=member,
        points=points,
        reason=discretionary.credit_reason(limits.purpose, unique_id("case")),
        actor="lead-3" if by_person else "system",
        idempotency_key=unique_id("credit"),
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=365),
        caps=limits,
        approved_by_person=by_person,
    )
    return entry.available_after


def _race(calls: int, attempt: object) -> tuple[int, list[CapReachedError]]:
    refused: list[CapReachedError] = []

    def one(index: int) -> bool:
        try:
            attempt(index)  # type: ignore[operator]
        except CapReachedError as error:
            refused.append(error)
            return False
        return True

    with ThreadPoolExecutor(max_workers=calls) as pool:
        granted = sum(pool.map(one, range(calls)))
    return granted, refused


def test_racing_credits_for_one_member_stop_at_the_members_cap(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=0)
    limits = CreditLimits(
        purpose=CreditPurpose.GOODWILL,
        per_member=2,
        daily_budget=10**9,
        monthly_budget=10**9,
    )

    granted, refused = _race(5, lambda _: grant(ledger, member, limits))

    assert granted == 2
    assert len(refused) == 3
    assert all("goodwill credit(s) in 30 days (limit 2)" in str(e) for e in refused)
    assert ledger.balance(member_id=member).available == 2 * CREDIT


def test_a_burst_across_members_stops_at_the_daily_budget(
    ledger: Ledger, new_member: MemberFactory, sessions: sessionmaker[Session]
) -> None:
    members = [new_member(points=0) for _ in range(6)]
    today, _ = _granted_so_far(sessions, CreditPurpose.GOODWILL)
    limits = CreditLimits(
        purpose=CreditPurpose.GOODWILL,
        per_member=10,
        daily_budget=today + 2 * CREDIT + CREDIT // 2,
        monthly_budget=10**9,
    )

    granted, refused = _race(6, lambda i: grant(ledger, members[i], limits))

    assert granted == 2
    assert {e.reasons[0] for e in refused} == {
        f"{today + 2 * CREDIT} of {limits.daily_budget} daily goodwill points already granted; "
        f"{CREDIT} more would exceed the budget."
    }
    assert _granted_so_far(sessions, CreditPurpose.GOODWILL)[0] == today + 2 * CREDIT


def test_a_person_may_approve_past_the_day_but_never_past_the_month(
    ledger: Ledger, new_member: MemberFactory, sessions: sessionmaker[Session]
) -> None:
    member = new_member(points=0)
    today, month = _granted_so_far(sessions, CreditPurpose.RETENTION)
    limits = CreditLimits(
        purpose=CreditPurpose.RETENTION,
        per_member=10,
        daily_budget=today,  # the day is spent
        monthly_budget=month + CREDIT,
    )
    with pytest.raises(CapReachedError) as automatic:
        grant(ledger, member, limits)

    assert grant(ledger, member, limits, by_person=True) == CREDIT  # POL-BUDGET-001
    with pytest.raises(CapReachedError) as monthly:
        grant(ledger, member, limits, by_person=True)

    assert automatic.value.code == "cap_reached"
    assert "daily retention points already granted" in automatic.value.reasons[0]
    assert monthly.value.reasons == [
        f"{month + CREDIT} of {month + CREDIT} monthly retention points already granted; "
        f"{CREDIT} more would exceed the budget."
    ]


def test_a_replayed_credit_is_not_counted_twice(ledger: Ledger, new_member: MemberFactory) -> None:
    member = new_member(points=0)
    limits = CreditLimits(
        purpose=CreditPurpose.GOODWILL, per_member=1, daily_budget=10**9, monthly_budget=10**9
    )
    key, reason = unique_id("credit"), discretionary.credit_reason(limits.purpose, "case-1")
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)

    def post() -> int:
        entry = ledger.adjust(
            member_id=member,
            points=CREDIT,
            reason=reason,
            actor="system",
            idempotency_key=key,
            expires_at=expires,
            caps=limits,
        )
        return entry.entry_id

    assert post() == post()  # the retry of a granted credit returns it, not a refusal

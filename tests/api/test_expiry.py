"""Expiring points by date, extensions and reinstatements (POL-EXPIRY-001), through the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from tests.conftest import MemberFactory, unique_id
from tests.support.api import ApiHarness
from tests.support.expiry import send_notices_on_time
from tests.support.policies import POLICIES

RULES = PolicyBook(POLICIES).expiry_rules()


def in_days(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


async def test_expiring_lists_unexpired_points_by_date_for_the_member_and_staff(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=400, expires_in=dt.timedelta(days=10))
    ledger.accrue(
        member_id=member, points=600, expires_at=in_days(100), idempotency_key=unique_id("k")
    )

    everything = await api.http.get(f"/v1/members/{member}/expiring", headers=api.customer(member))
    soon = await api.http.get(
        f"/v1/members/{member}/expiring?within_days=30", headers=api.support()
    )
    other = await api.http.get(f"/v1/members/{member}/expiring", headers=api.customer("M-other"))

    assert [d["points"] for d in everything.json()["data"]] == [400, 600]
    assert everything.json()["total_points"] == 1000
    assert [d["points"] for d in soon.json()["data"]] == [400]
    assert other.status_code == 403


async def test_an_extension_within_the_tier_limit_once_a_year_is_idempotent_and_audited(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=500, tier="silver", expires_in=dt.timedelta(days=20))
    day = ledger.expiring(member_id=member)[0].expires_at.date()
    longest = RULES.extension_max_days[
        next(t for t in RULES.extension_max_days if t.value == "silver")
    ]
    url = f"/v1/members/{member}/expiring/extend"
    body = {"request_id": "ext-1", "expires_on": str(day), "days": longest, "reason": "travel"}

    too_long = await api.http.post(
        url, json={**body, "request_id": "ext-0", "days": longest + 1}, headers=api.support()
    )
    granted = await api.http.post(url, json=body, headers=api.support())
    again = await api.http.post(url, json=body, headers=api.support())
    second = await api.http.post(url, json={**body, "request_id": "ext-2"}, headers=api.support())
    by_customer = await api.http.post(url, json=body, headers=api.customer(member))

    assert too_long.status_code == 422
    assert granted.status_code == 200, granted.text
    assert granted.json()["new_expires_on"] == str(day + dt.timedelta(days=longest))
    assert (granted.json()["points"], again.json()["replayed"]) == (500, True)
    assert second.status_code == 422  # POL-EXPIRY-001: once in any 12 months
    assert by_customer.status_code == 403
    assert ledger.expiring(member_id=member)[0].expires_at.date() == day + dt.timedelta(
        days=longest
    )
    assert ledger.reconcile(member_id=member) == []


async def test_points_expired_within_the_window_are_reinstated_once(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    ten_days_ago = in_days(-10)
    earlier = Ledger(sessions, clock=lambda: ten_days_ago)  # credited then, expired 9 days ago
    member, large = new_member(tier="bronze"), new_member(tier="bronze")
    for who, points in ((member, 250), (large, 900)):  # bronze approval threshold: 300
        earlier.accrue(
            member_id=who,
            points=points,
            expires_at=ten_days_ago + dt.timedelta(days=1),
            idempotency_key=unique_id("k"),
        )
        send_notices_on_time(ledger, member_id=who, expires_at=ten_days_ago + dt.timedelta(days=1))
        ledger.expire(member_id=who, notice_days_before=RULES.notice_days_before)
    url = f"/v1/members/{member}/expiring/reinstate"
    body = {"request_id": "rein-1", "reason": "member was abroad"}

    first = await api.http.post(url, json=body, headers=api.support())
    again = await api.http.post(url, json=body, headers=api.support())
    another = await api.http.post(url, json={**body, "request_id": "rein-2"}, headers=api.support())
    too_large = await api.http.post(
        f"/v1/members/{large}/expiring/reinstate", json=body, headers=api.support()
    )

    assert first.status_code == 200, first.text
    assert (first.json()["points"], again.json()["replayed"]) == (250, True)
    assert another.status_code == 409
    assert too_large.status_code == 422
    assert "needs approval" in too_large.json()["error"]["message"]
    assert ledger.balance(member_id=member).available == 250
    assert [e.kind for e in ledger.entries(member_id=member)][:2] == ["reinstate", "expire"]
    assert ledger.reconcile(member_id=member) == []


async def test_expiring_pages_neither_repeat_nor_skip_when_dates_come_and_go_between_pages(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    gains, loses = new_member(), new_member()
    for who in (gains, loses):
        for days in (10, 20, 30):
            ledger.accrue(
                member_id=who, points=days, expires_at=in_days(days), idempotency_key=unique_id("k")
            )

    async def pages_around(who: str, limit: int, change: Callable[[], object]) -> list[int]:
        """Every page, with ``change`` made once the first page was shown."""
        url = f"/v1/members/{who}/expiring?limit={limit}"
        page = (await api.http.get(url, headers=api.customer(who))).json()
        shown = [d["points"] for d in page["data"]]
        change()
        while page["next_cursor"] is not None:
            page = (
                await api.http.get(f"{url}&cursor={page['next_cursor']}", headers=api.customer(who))
            ).json()
            shown += [d["points"] for d in page["data"]]
        return shown

    def earlier_date() -> None:  # sorts before every date already shown
        ledger.accrue(
            member_id=gains, points=5, expires_at=in_days(5), idempotency_key=unique_id("k")
        )

    def spend_first_date() -> None:  # the oldest-expiring lot is spent first, and leaves
        hold = ledger.hold(member_id=loses, points=10, idempotency_key=unique_id("hold"))
        assert hold.hold_id is not None
        ledger.capture(hold_id=hold.hold_id, idempotency_key=unique_id("capture"))

    assert await pages_around(gains, 2, earlier_date) == [10, 20, 30]
    assert await pages_around(loses, 1, spend_first_date) == [10, 20, 30]
    for forged in ("2", "WyJ4Il0"):  # an old position; a key of the wrong shape (["x"])
        refused = await api.http.get(
            f"/v1/members/{gains}/expiring?cursor={forged}", headers=api.customer(gains)
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["details"][0]["field"] == "cursor"

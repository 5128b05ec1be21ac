"""GET /v1/members/{id}/rewards: the member's prices are the saga's prices, with every reason."""

from __future__ import annotations

from typing import Any

import pytest

from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness


def by_id(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["reward_id"]: line for line in catalog["data"]}


@pytest.mark.parametrize(("tier", "reward"), [("silver", "R-BAKERY"), ("gold", "R-GIFT-25")])
async def test_the_catalog_price_is_what_a_completed_redemption_debits(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger, tier: str, reward: str
) -> None:
    member = new_member(points=5_000, tier=tier)
    headers = api.customer(member)

    shown = await api.http.get(f"/v1/members/{member}/rewards", headers=headers)
    assert shown.status_code == 200, shown.text
    line = by_id(shown.json())[reward]
    assert line["redeemable"] and line["reasons"] == []
    kinds = [price_line["kind"] for price_line in line["price"]["lines"]]
    assert kinds == ["base", "tier_discount", "total"]
    price = line["price"]["total"]
    assert price < line["point_cost"]

    started = await api.redeem(
        {"request_id": unique_id("req"), "member_id": member, "reward_id": reward}, headers
    )
    done = await api.wait_for(started.json()["redemption_id"], FINAL)

    assert done["status"] == "completed", done["reasons"]
    assert done["points"] == price
    assert done["breakdown"] == line["price"]["lines"]
    entries = (await api.http.get(f"/v1/members/{member}/ledger", headers=headers)).json()
    captured = [e for e in entries["data"] if e["kind"] == "capture"]
    assert [-e["delta_held"] for e in captured] == [price]
    assert ledger.balance(member_id=member).available == 5_000 - price


async def test_every_reason_a_member_cannot_redeem_is_listed(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=600, tier="bronze", region="FR")

    response = await api.http.get(f"/v1/members/{member}/rewards", headers=api.customer(member))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["tier"], body["status"], body["available"]) == ("bronze", "active", 600)
    lines = by_id(body)
    codes = {rid: [r["code"] for r in line["reasons"]] for rid, line in lines.items()}
    assert codes["R-CHEF-TABLE"] == [
        "tier_too_low",
        "region_not_allowed",
        "above_tier_maximum",
        "insufficient_points",
    ]
    assert codes["R-MUG"] == ["out_of_stock"]  # 600 points: exactly affordable
    assert codes["R-COFFEE"] == [] and lines["R-COFFEE"]["redeemable"]
    assert lines["R-CHEF-TABLE"]["price"]["total"] == 30_000
    assert "R-RETIRED-TOTE" not in lines
    assert all("fraud" not in line for line in body["data"])


async def test_the_catalog_is_the_members_own_or_staffs(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member, other = new_member(), new_member()
    path = f"/v1/members/{member}/rewards"

    mine = await api.http.get(path, headers=api.customer(member))
    theirs = await api.http.get(path, headers=api.customer(other))
    staff = await api.http.get(path, headers=api.support())
    unknown = await api.http.get("/v1/members/M-nobody/rewards", headers=api.operator())

    assert (mine.status_code, theirs.status_code, staff.status_code) == (200, 403, 200)
    assert unknown.status_code == 404

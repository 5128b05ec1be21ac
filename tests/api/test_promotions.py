"""Promotions through the API on real Temporal and PostgreSQL (POL-PROMO-001).

Every promotion here is scoped to a reward of the test's own (``new_reward``),
so the prices other tests of the session see never change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from tests.conftest import MemberFactory, RewardFactory, unique_id
from tests.support.api import FINAL, ApiHarness
from tests.support.policies import POLICIES

STACKING = PolicyBook(POLICIES).stacking_rules()


def _promotion(reward_id: str, percent: int, **extra: Any) -> dict[str, Any]:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return {
        "promotion_id": unique_id("P"),
        "campaign": unique_id("C"),
        "name": f"{percent}% off",
        "kind": "redeem_discount_percent",
        "value": percent,
        "reward_ids": [reward_id],
        "starts_at": start.isoformat(),
    } | extra


async def _create(api: ApiHarness, body: dict[str, Any]) -> dict[str, Any]:
    created = await api.http.post("/v1/promotions", json=body, headers=api.operator())
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _catalog_line(api: ApiHarness, member: str, reward: str) -> dict[str, Any]:
    shown = await api.http.get(f"/v1/members/{member}/rewards", headers=api.customer(member))
    assert shown.status_code == 200, shown.text
    return next(line for line in shown.json()["data"] if line["reward_id"] == reward)


async def _redeem(api: ApiHarness, member: str, reward: str, **extra: Any) -> dict[str, Any]:
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": reward} | extra
    started = await api.redeem(body, api.customer(member))
    assert started.status_code == 202, started.text
    return await api.wait_for(started.json()["redemption_id"], FINAL)


async def test_a_promotion_prices_the_redemption_and_once_ended_no_longer_applies(
    api: ApiHarness, new_member: MemberFactory, new_reward: RewardFactory, ledger: Ledger
) -> None:
    member = new_member(points=10_000, tier="bronze")
    reward = new_reward(inventory=None, cost=1_000)
    promo = await _create(api, _promotion(reward, 10))
    ref = f"{promo['promotion_id']}@1"
    assert (promo["ref"], promo["status"]) == (ref, "active")

    line = await _catalog_line(api, member, reward)
    assert line["price"]["total"] == 900
    assert [(pl["kind"], pl["source_id"]) for pl in line["price"]["lines"]] == [
        ("base", reward),
        ("promotion", ref),
        ("total", reward),
    ]

    done = await _redeem(api, member, reward)
    assert done["status"] == "completed", done["reasons"]
    assert done["points"] == 900
    assert done["breakdown"] == line["price"]["lines"]
    entries = (
        await api.http.get(f"/v1/members/{member}/ledger", headers=api.customer(member))
    ).json()
    assert [-e["delta_held"] for e in entries["data"] if e["kind"] == "capture"] == [900]
    assert ledger.balance(member_id=member).available == 10_000 - 900

    ended = await api.http.post(
        f"/v1/promotions/{promo['promotion_id']}/end", headers=api.operator()
    )
    assert ended.status_code == 200, ended.text
    assert (ended.json()["version"], ended.json()["status"]) == (2, "ended")
    detail = (
        await api.http.get(f"/v1/promotions/{promo['promotion_id']}", headers=api.operator())
    ).json()
    assert [v["ref"] for v in detail["versions"]] == [ref, f"{promo['promotion_id']}@2"]
    listed = await api.http.get("/v1/promotions?status=ended", headers=api.operator())
    assert promo["promotion_id"] in {p["promotion_id"] for p in listed.json()["data"]}

    assert (await _catalog_line(api, member, reward))["price"]["total"] == 1_000
    after = await _redeem(api, member, reward)
    assert after["status"] == "completed", after["reasons"]
    assert after["points"] == 1_000
    assert [pl["kind"] for pl in after["breakdown"]] == ["base", "total"]


async def test_stacking_keeps_the_two_largest_and_caps_the_combined_discount(
    api: ApiHarness, new_member: MemberFactory, new_reward: RewardFactory
) -> None:
    member = new_member(points=10_000, tier="silver")  # 5 % tier discount
    reward = new_reward(inventory=None, cost=2_000)
    same_campaign = unique_id("C")
    big = await _create(api, _promotion(reward, 20, campaign=same_campaign))
    await _create(api, _promotion(reward, 19, campaign=same_campaign))  # never with `big`
    mid = await _create(api, _promotion(reward, 15))
    await _create(api, _promotion(reward, 5))  # beyond max_stacked

    line = await _catalog_line(api, member, reward)
    lines = [(pl["kind"], pl["source_id"], pl["points"]) for pl in line["price"]["lines"]]
    tier_off = -lines[1][2]
    assert lines[1][0] == "tier_discount" and tier_off > 0
    ceiling = 2_000 * STACKING.max_combined_discount_percent // 100
    promos = [entry for entry in lines if entry[0] == "promotion"]
    assert [p[1] for p in promos] == [f"{big['promotion_id']}@1", f"{mid['promotion_id']}@1"]
    assert len(promos) <= STACKING.max_stacked
    assert tier_off - sum(p[2] for p in promos) == ceiling  # trimmed to the ceiling
    assert line["price"]["total"] == 2_000 - ceiling

    done = await _redeem(api, member, reward)
    assert done["status"] == "completed", done["reasons"]
    assert done["points"] == 2_000 - ceiling
    assert done["breakdown"] == line["price"]["lines"]


async def test_earning_bonuses_add_to_the_tier_multiplier_and_the_total_is_capped(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    bronze, platinum = new_member(tier="bronze"), new_member(tier="platinum")
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()
    campaign = unique_id("C")

    def bonus(value: str, campaign: str) -> dict[str, Any]:
        return {
            "promotion_id": unique_id("P"),
            "campaign": campaign,
            "name": f"+{value}x",
            "kind": "earn_bonus_multiplier",
            "value": value,
            "tiers": ["bronze", "platinum"],
            "starts_at": start,
        }

    made = [
        await _create(api, bonus("0.5", campaign)),
        await _create(api, bonus("0.25", campaign)),  # same campaign: never with the 0.5
        await _create(api, bonus("0.75", unique_id("C"))),
    ]
    try:
        earned = {}
        for member in (bronze, platinum):
            posted = await api.http.post(
                f"/v1/members/{member}/accruals",
                json={"order_id": unique_id("order"), "amount": "100.00", "currency": "USD"},
                headers=api.auth("integration", subject="shop-promos"),
            )
            assert posted.status_code == 200, posted.text
            earned[member] = posted.json()["accrual"]
    finally:  # earning bonuses are not scoped to a reward: end them for the rest of the session
        for promo in made:
            ended = await api.http.post(
                f"/v1/promotions/{promo['promotion_id']}/end", headers=api.operator()
            )
            assert ended.status_code == 200, ended.text

    # bronze 1.0 + 0.75 + 0.5 = 2.25x
    assert Decimal(earned[bronze]["multiplier"]) == Decimal("2.25")
    assert earned[bronze]["points"] == 225
    # platinum 2.0 + 0.75 + 0.5 = 3.25x, capped at max_bonus_multiplier (3.0x)
    assert STACKING.max_bonus_multiplier == 3
    assert earned[platinum]["points"] == 300
    assert "max_bonus_multiplier" in earned[platinum]["capped_by"]


async def test_a_single_use_promo_code_serves_one_of_two_concurrent_redemptions(
    api: ApiHarness, new_member: MemberFactory, new_reward: RewardFactory, ledger: Ledger
) -> None:
    assert STACKING.promo_code_uses_per_member == 1
    member = new_member(points=10_000, tier="bronze")
    reward = new_reward(inventory=None, cost=1_000)
    code = unique_id("WELCOME").replace("-", "")
    promo = await _create(api, _promotion(reward, 25, promo_code=code))
    ref = f"{promo['promotion_id']}@1"

    without = await _catalog_line(api, member, reward)
    assert without["price"]["total"] == 1_000  # a coded promotion needs its code
    checked = await api.http.post(
        "/v1/redemptions/validate",
        json={"member_id": member, "reward_id": reward, "promo_code": code.lower()},
        headers=api.customer(member),
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["price"]["total"] == 750  # the dry run prices with the code

    first, second = await asyncio.gather(
        _redeem(api, member, reward, promo_code=code),
        _redeem(api, member, reward, promo_code=code),
    )

    outcomes = sorted([first, second], key=lambda r: r["status"])
    done, refused = outcomes
    assert (done["status"], refused["status"]) == ("completed", "rejected"), [
        (r["status"], r["reasons"]) for r in outcomes
    ]
    assert done["points"] == 750
    assert [pl["source_id"] for pl in done["breakdown"] if pl["kind"] == "promotion"] == [ref]
    assert any("promo_code" in reason for reason in refused["reasons"]), refused["reasons"]
    assert ledger.balance(member_id=member).available == 10_000 - 750
    assert ledger.reconcile(member_id=member) == []

    again = await _redeem(api, member, reward, promo_code=code)
    assert again["status"] == "rejected"
    assert any("already used" in reason for reason in again["reasons"]), again["reasons"]

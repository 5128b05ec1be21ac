"""Earning on purchases through the API, on real Temporal and PostgreSQL.

The pending period itself passes on the time-skipping server (see
``test_accrual_time_skipping.py``); here the dev server runs the 14-day policy
(returns while pending) and a copy of the policies with no pending period
(returns after the points became available).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from loyalty.contracts.accrual import ACCRUAL_WORKFLOW, AccrualState, accrual_workflow_id
from loyalty.domain.tiers import Tier
from loyalty.ledger.models import Member
from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from tests.conftest import MemberFactory, unique_id
from tests.support.api import ApiFactory, ApiHarness
from tests.support.policies import POLICIES, policies_with

SHOP = "shop-berlin"


def shop(api: ApiHarness, subject: str = SHOP) -> dict[str, str]:
    return api.auth("integration", subject=subject)


async def accrue(
    api: ApiHarness, member: str, order: str, amount: str, *, subject: str = SHOP
) -> httpx.Response:
    return await api.http.post(
        f"/v1/members/{member}/accruals",
        json={"order_id": order, "amount": amount, "currency": "USD"},
        headers=shop(api, subject),
    )


async def give_back(
    api: ApiHarness, member: str, order: str, return_id: str, amount: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"return_id": return_id, "reason": "customer returned the item"}
    if amount is not None:
        body["amount"] = amount
    return await api.http.post(
        f"/v1/members/{member}/accruals/{order}/reverse", json=body, headers=shop(api)
    )


async def balance(api: ApiHarness, member: str) -> dict[str, Any]:
    response = await api.http.get(f"/v1/members/{member}/balance", headers=api.support())
    body: dict[str, Any] = response.json()
    return body


async def test_pending_points_show_but_cannot_be_spent_and_a_repost_changes_nothing(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member, order = new_member(tier="silver"), unique_id("order")

    first = await accrue(api, member, order, "1000.00")
    again = await accrue(api, member, order, "1000.00")
    other = await accrue(api, member, order, "999.00")
    redeem = await api.redeem(
        {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"},
        api.customer(member),
    )
    refused = await api.wait_for(redeem.json()["redemption_id"], {"rejected"})

    assert (first.status_code, again.status_code, other.status_code) == (200, 200, 409)
    record = first.json()["accrual"]
    assert (record["points"], record["pending_points"], record["status"]) == (1250, 1250, "pending")
    assert again.json() == first.json()
    assert {k: (await balance(api, member))[k] for k in ("available", "pending")} == {
        "available": 0,
        "pending": 1250,
    }
    assert any("insufficient points" in reason for reason in refused["reasons"])
    assert [e.kind for e in ledger.entries(member_id=member)] == ["pend"]
    assert ledger.reconcile(member_id=member) == []


async def test_returns_before_the_pending_period_reduce_then_cancel_the_accrual(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member, order = new_member(tier="silver"), unique_id("order")
    await accrue(api, member, order, "100.00")  # 125 points pending

    partial = await give_back(api, member, order, "ret-1", "40.00")
    repeat = await give_back(api, member, order, "ret-1", "40.00")
    rest = await give_back(api, member, order, "ret-2")
    done: AccrualState = await api.saga.client.get_workflow_handle(
        accrual_workflow_id(source=SHOP, member_id=member, order_id=order),
        result_type=AccrualState,
    ).result()

    assert partial.status_code == 200, partial.text
    assert (partial.json()["outcome"]["points"], partial.json()["outcome"]["from_pending"]) == (
        50,
        50,
    )
    assert repeat.json()["outcome"]["replayed"] is True
    assert rest.json()["outcome"]["points"] == 75
    assert (done.status.value, done.record and done.record.pending_points) == ("cancelled", 0)
    assert (await balance(api, member))["pending"] == 0
    assert sorted(e.kind for e in ledger.entries(member_id=member)) == ["pend", "unpend", "unpend"]
    assert ledger.reconcile(member_id=member) == []


async def test_orders_are_scoped_by_the_integration_and_only_integrations_may_post(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member, order = new_member(tier="bronze"), unique_id("order")

    berlin = await accrue(api, member, order, "10.00")
    paris = await accrue(api, member, order, "20.00", subject="shop-paris")
    by_customer = await api.http.post(
        f"/v1/members/{member}/accruals",
        json={"order_id": order, "amount": "10.00", "currency": "USD"},
        headers=api.customer(member),
    )
    balance_by_shop = await api.http.get(f"/v1/members/{member}/balance", headers=shop(api))
    wrong_currency = await accrue_in(api, member, "EUR")

    assert (berlin.status_code, paris.status_code) == (200, 200)
    assert berlin.json()["accrual_id"] != paris.json()["accrual_id"]
    assert (await balance(api, member))["pending"] == 30
    assert (by_customer.status_code, balance_by_shop.status_code) == (403, 403)
    assert wrong_currency.status_code == 422
    assert wrong_currency.json()["error"]["details"][0]["field"] == "currency"


async def accrue_in(api: ApiHarness, member: str, currency: str) -> httpx.Response:
    return await api.http.post(
        f"/v1/members/{member}/accruals",
        json={"order_id": unique_id("order"), "amount": "10.00", "currency": currency},
        headers=shop(api),
    )


async def test_a_return_after_spending_records_what_is_owed_and_later_earning_repays_it(
    api_factory: ApiFactory, new_member: MemberFactory, ledger: Ledger, no_pending_period: Path
) -> None:
    api = await api_factory(policies_dir=no_pending_period)
    member, order = new_member(tier="bronze"), unique_id("order")
    await accrue(api, member, order, "1200.00")
    await settled(api, member, order)
    repost = await accrue(api, member, order, "1200.00")  # after the workflow closed
    redeem = await api.redeem(
        {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-GIFT-10"},
        api.customer(member),
    )
    await api.wait_for(redeem.json()["redemption_id"], {"completed"})  # 1,000 of 1,200 spent

    returned = await give_back(api, member, order, "ret-all")
    owed_after_return = await balance(api, member)
    second = unique_id("order")
    await accrue(api, member, second, "1000.00")
    await settled(api, member, second)

    assert (repost.status_code, repost.json()["status"]) == (200, "available")
    outcome = returned.json()["outcome"]
    assert returned.status_code == 200, returned.text
    assert (outcome["from_available"], outcome["shortfall"]) == (200, 1000)
    assert outcome["accrual"]["status"] == "reversed"
    assert (owed_after_return["available"], owed_after_return["owed"]) == (0, 1000)
    final = await balance(api, member)
    assert (final["available"], final["owed"]) == (0, 0)
    assert ledger.reconcile(member_id=member) == []


@pytest.fixture
def no_pending_period(tmp_path: Path) -> Path:
    """The policies with no pending period: a purchase's points are available once recorded."""
    return policies_with(tmp_path / "policies", {"points-accrual.md": {"pending_period_days": 0}})


async def settled(api: ApiHarness, member: str, order: str) -> AccrualState:
    handle = api.saga.client.get_workflow_handle(
        accrual_workflow_id(source=SHOP, member_id=member, order_id=order),
        result_type=AccrualState,
    )
    state: AccrualState = await handle.result()
    assert (await handle.describe()).workflow_type == ACCRUAL_WORKFLOW
    return state


async def test_a_settled_purchase_that_reaches_the_next_tier_upgrades_the_member_at_once(
    api_factory: ApiFactory,
    new_member: MemberFactory,
    sessions: sessionmaker[Session],
    no_pending_period: Path,
) -> None:
    """POL-TIER-001 reviews on accrual too: the settled points count at once, not tomorrow."""
    api = await api_factory(policies_dir=no_pending_period)
    member, order = new_member(tier="bronze"), unique_id("order")
    silver = PolicyBook(no_pending_period).tier_rules().thresholds[Tier.SILVER]
    base = PolicyBook(no_pending_period).earning_rules().base_points_per_currency_unit

    await accrue(api, member, order, f"{silver // base}.00")  # bronze earns at least 1x
    state = await settled(api, member, order)

    with sessions() as session:
        row = session.get(Member, member)
        assert row is not None
        tier = row.tier
    assert state.status == "available" and state.record is not None
    assert state.record.points >= silver
    assert tier == Tier.SILVER.value


async def test_a_refused_return_frees_its_return_id_for_a_corrected_retry(
    api_factory: ApiFactory, new_member: MemberFactory, ledger: Ledger, no_pending_period: Path
) -> None:
    # After settlement a return runs as an AccrualReturn workflow named by its return_id.
    api = await api_factory(policies_dir=no_pending_period)
    member, order = new_member(tier="bronze"), unique_id("order")
    await accrue(api, member, order, "100.00")
    await settled(api, member, order)

    too_much = await give_back(api, member, order, "ret-1", "150.00")
    corrected = await give_back(api, member, order, "ret-1", "40.00")
    repeated = await give_back(api, member, order, "ret-1", "40.00")
    changed = await give_back(api, member, order, "ret-1", "30.00")

    assert too_much.status_code == 422, too_much.text
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["outcome"]["from_available"] == 40
    assert repeated.status_code == 200, repeated.text
    assert repeated.json()["outcome"]["return_id"] == corrected.json()["outcome"]["return_id"]
    assert changed.status_code == 409  # a return that succeeded keeps its id for good
    assert (await balance(api, member))["available"] == 60
    assert ledger.reconcile(member_id=member) == []


async def test_a_purchase_over_the_cap_is_capped_and_listed_for_the_fraud_team(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    # POL-ACCRUAL-001: larger orders are capped and flagged for the fraud team (reselling).
    rules = PolicyBook(POLICIES).earning_rules()
    cap = rules.max_points_per_purchase
    member = new_member(tier="bronze")
    per_unit = rules.base_points_per_currency_unit * rules.tier_multipliers[Tier.BRONZE]
    over = int(cap / per_unit) + 100  # whole currency units that earn more than the cap
    large, small = unique_id("order"), unique_id("order")

    capped = await accrue(api, member, large, f"{over}.00")
    normal = await accrue(api, member, small, "10.00")
    path = f"/v1/queues/capped-purchases?member_id={member}"
    queue = await api.http.get(path, headers=api.support())
    by_operator = await api.http.get(path, headers=api.operator())
    by_customer = await api.http.get(path, headers=api.customer(member))
    by_shop = await api.http.get(path, headers=shop(api))
    audit = await api.http.get(
        f"/v1/audit-log?action=accrual.capped&target={member}", headers=api.operator()
    )

    assert capped.json()["accrual"]["points"] == cap
    assert "max_points_per_purchase" in capped.json()["accrual"]["capped_by"]
    assert normal.json()["accrual"]["capped_by"] == []
    assert queue.status_code == 200, queue.text
    [item] = queue.json()["data"]
    assert (item["order_id"], item["source"], item["points"]) == (large, SHOP, cap)
    assert item["points_before_cap"] > cap and item["amount"] == f"{over}.00"
    assert by_operator.json()["data"] == queue.json()["data"]
    assert (by_customer.status_code, by_shop.status_code) == (403, 403)
    [row] = audit.json()["data"]
    assert (row["actor"], row["details"]["order_id"]) == (SHOP, large)
    assert row["details"]["points_before_cap"] == item["points_before_cap"]

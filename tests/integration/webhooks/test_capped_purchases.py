"""POL-ACCRUAL-001: a purchase over the per-purchase cap is announced to the fraud team."""

from __future__ import annotations

from loyalty.domain.tiers import Tier
from loyalty.policies.book import PolicyBook
from tests.conftest import MemberFactory, unique_id
from tests.integration.webhooks.conftest import Receiver
from tests.integration.webhooks.test_delivery import Subscribe, api, eventually, subscribe
from tests.support.api import ApiHarness
from tests.support.policies import POLICIES

__all__ = ["api", "subscribe"]
SHOP = "shop-hamburg"


async def test_a_capped_purchase_is_announced_as_an_accrual_capped_event(
    api: ApiHarness, receiver: Receiver, subscribe: Subscribe, new_member: MemberFactory
) -> None:
    rules = PolicyBook(POLICIES).earning_rules()
    cap = rules.max_points_per_purchase
    per_unit = rules.base_points_per_currency_unit * rules.tier_multipliers[Tier.BRONZE]
    over = int(cap / per_unit) + 100  # whole currency units that earn more than the cap
    member, order = new_member(tier="bronze"), unique_id("order")
    await subscribe(receiver.url, events=["accrual.capped"])

    response = await api.http.post(
        f"/v1/members/{member}/accruals",
        json={"order_id": order, "amount": f"{over}.00", "currency": "USD"},
        headers=api.auth("integration", subject=SHOP),
    )

    def announced() -> list[dict[str, object]]:
        return [
            r.event["data"]
            for r in receiver.events("accrual.capped")
            if r.event["data"]["member_id"] == member
        ]

    assert response.status_code in (200, 202), response.text
    await eventually(lambda: len(announced()) == 1)
    [data] = announced()
    assert (data["order_id"], data["source"], data["points"]) == (order, SHOP, cap)
    assert int(str(data["points_before_cap"])) > cap

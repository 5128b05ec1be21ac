"""Balances, ledger pages, the catalog, and health checks."""

from __future__ import annotations

from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory
from tests.support.api import ApiHarness


async def test_balance_for_owner_support_and_operator(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=1_234)

    responses = [
        await api.http.get(f"/v1/members/{member}/balance", headers=headers)
        for headers in (api.customer(member), api.support(), api.operator())
    ]

    assert [r.status_code for r in responses] == [200, 200, 200]
    body = responses[0].json()
    assert (body["available"], body["held"], body["expiring_soon"]) == (1_234, 0, 0)


async def test_ledger_pages_newest_first(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=100)
    for n in range(2):
        ledger.accrue(
            member_id=member,
            points=10 + n,
            expires_at=ledger.balance(member_id=member).as_of.replace(year=2099),
            idempotency_key=f"{member}:extra:{n}",
        )
    headers = api.customer(member)

    first = await api.http.get(f"/v1/members/{member}/ledger?limit=2", headers=headers)
    cursor = first.json()["next_cursor"]
    rest = await api.http.get(
        f"/v1/members/{member}/ledger?limit=2&cursor={cursor}", headers=headers
    )
    # The deprecated `before` still pages as it did, from the same entry id.
    old_style = await api.http.get(
        f"/v1/members/{member}/ledger?limit=2&before={cursor}", headers=headers
    )

    assert [e["delta_available"] for e in first.json()["data"]] == [11, 10]
    assert [e["delta_available"] for e in rest.json()["data"]] == [100]
    assert rest.json()["next_cursor"] is None
    assert old_style.json() == rest.json()


async def test_unknown_member_is_404_and_bad_paging_422(api: ApiHarness) -> None:
    balance = await api.http.get("/v1/members/M-unknown/balance", headers=api.support())
    ledger = await api.http.get("/v1/members/M-unknown/ledger", headers=api.operator())
    bad = await api.http.get("/v1/members/M-unknown/ledger?limit=0", headers=api.operator())
    bad_cursor = await api.http.get("/v1/members/M-unknown/ledger?cursor=0", headers=api.operator())

    assert (balance.status_code, ledger.status_code) == (404, 404)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "limit"
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["error"]["details"][0]["field"] == "cursor"


async def test_rewards_lists_the_active_catalog(api: ApiHarness, new_member: MemberFactory) -> None:
    headers = api.customer(new_member())
    response = await api.http.get("/v1/rewards", headers=headers)
    first = await api.http.get("/v1/rewards?limit=1", headers=headers)
    second = await api.http.get(
        "/v1/rewards", params={"limit": 1, "cursor": first.json()["next_cursor"]}, headers=headers
    )

    ids = {r["reward_id"] for r in response.json()["data"]}
    assert response.status_code == 200
    assert response.json()["next_cursor"] is None
    assert {"R-COFFEE", "R-GIFT-10"} <= ids
    assert "R-RETIRED-TOTE" not in ids
    assert first.json()["data"] + second.json()["data"] == response.json()["data"][:2]


async def test_health_and_readiness(api: ApiHarness) -> None:
    live = await api.http.get("/healthz")
    ready = await api.http.get("/readyz")

    assert live.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"postgres": "ok", "temporal": "ok"}}

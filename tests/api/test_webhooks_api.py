"""Webhook subscriptions CRUD: operators only, HTTPS only (localhost http outside production)."""

from __future__ import annotations

import pytest

from tests.support.api import ApiFactory, ApiHarness


async def test_operator_subscribes_lists_and_deletes(api: ApiHarness) -> None:
    created = await api.http.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.com/loyalty", "events": ["redemption.completed"]},
        headers=api.operator(),
    )
    subscription_id = created.json()["id"]
    listed = await api.http.get("/v1/webhooks", headers=api.operator())
    deleted = await api.http.delete(f"/v1/webhooks/{subscription_id}", headers=api.operator())
    again = await api.http.delete(f"/v1/webhooks/{subscription_id}", headers=api.operator())
    after = await api.http.get("/v1/webhooks", headers=api.operator())

    assert created.status_code == 201, created.text
    assert created.json()["events"] == ["redemption.completed"]
    assert created.json()["created_by"] == "op-1"
    assert subscription_id in {s["id"] for s in listed.json()["data"]}
    assert (deleted.status_code, again.status_code) == (204, 404)
    assert subscription_id not in {s["id"] for s in after.json()["data"]}


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example.com/x", "ftp://example.com/x", "https://", "https://u:p@example.com/"],
)
async def test_only_https_endpoints(api: ApiHarness, url: str) -> None:
    response = await api.http.post("/v1/webhooks", json={"url": url}, headers=api.operator())

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "url"


async def test_plain_http_to_localhost_only_outside_production(
    api: ApiHarness, api_factory: ApiFactory
) -> None:
    local = {"url": "http://127.0.0.1:9/hook"}
    allowed = await api.http.post("/v1/webhooks", json=local, headers=api.operator())
    await api.http.delete(f"/v1/webhooks/{allowed.json()['id']}", headers=api.operator())
    production = await api_factory(
        environment="production",
        jwt_secret="prod-secret-0123456789abcdef-0123456789abcdef",
        webhook_secret="prod-webhook-secret-0123456789",
    )
    refused = await production.http.post("/v1/webhooks", json=local, headers=production.operator())

    assert allowed.status_code == 201
    assert refused.status_code == 422


async def test_webhooks_are_operator_only_and_validated(api: ApiHarness) -> None:
    body = {"url": "https://hooks.example.com/x"}
    support = await api.http.post("/v1/webhooks", json=body, headers=api.support())
    anonymous = await api.http.get("/v1/webhooks")
    bad_event = await api.http.post(
        "/v1/webhooks", json={**body, "events": ["redemption.exploded"]}, headers=api.operator()
    )
    unknown = await api.http.delete("/v1/webhooks/wh_0123456789abcdef", headers=api.operator())

    assert (support.status_code, anonymous.status_code) == (403, 401)
    assert bad_event.status_code == 422
    assert bad_event.json()["error"]["details"][0]["field"] == "events.0"
    assert unknown.status_code == 404

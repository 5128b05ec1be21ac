"""Webhook subscriptions: operators only, public HTTPS only, one secret each, shown once."""

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


async def test_each_subscription_gets_its_own_secret_shown_once(api: ApiHarness) -> None:
    body = {"url": "https://hooks.example.com/loyalty"}
    one = await api.http.post("/v1/webhooks", json=body, headers=api.operator())
    two = await api.http.post("/v1/webhooks", json=body, headers=api.operator())
    listed = await api.http.get("/v1/webhooks", headers=api.operator())
    rotated = await api.http.post(
        f"/v1/webhooks/{one.json()['id']}/rotate-secret", headers=api.operator()
    )

    secrets = {one.json()["secret"], two.json()["secret"], rotated.json()["secret"]}
    assert len(secrets) == 3 and all(s.startswith("whsec_") for s in secrets)
    assert all("secret" not in s for s in listed.json()["data"])
    assert one.json()["secret"] not in listed.text
    assert rotated.json()["previous_secret_expires_at"]
    for created in (one, two):
        await api.http.delete(f"/v1/webhooks/{created.json()['id']}", headers=api.operator())


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # plain http
        "ftp://example.com/x",
        "https://",
        "https://u:p@hooks.example.com/",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://10.0.0.5/hook",  # RFC 1918
        "https://172.16.3.4/hook",
        "https://192.168.1.10/hook",
        "https://100.64.0.7/hook",  # CGNAT
        "https://127.0.0.1/hook",  # loopback
        "https://[::1]/hook",
        "https://[fd00::5]/hook",  # ULA
        "https://[fe80::1]/hook",  # link-local
        "https://[::ffff:10.0.0.5]/hook",  # IPv4-mapped private
        "https://internal.corp.example/hook",  # a name that resolves to a private address
        "https://nowhere.example/hook",  # a name that does not resolve
        "http://127.0.0.1:8100/control/reset",  # the partner simulator's control API
    ],
)
async def test_endpoints_that_reach_inside_are_refused(api: ApiHarness, url: str) -> None:
    api.dns.point("internal.corp.example", "10.20.30.40")

    response = await api.http.post("/v1/webhooks", json={"url": url}, headers=api.operator())

    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "url"


async def test_local_receivers_only_with_the_development_setting(
    api: ApiHarness, api_factory: ApiFactory
) -> None:
    local = {"url": "http://127.0.0.1:9/hook"}
    metadata = {"url": "http://169.254.169.254/latest/meta-data/"}
    refused = await api.http.post("/v1/webhooks", json=local, headers=api.operator())
    dev = await api_factory(webhook_allow_private_targets=True)
    allowed = await dev.http.post("/v1/webhooks", json=local, headers=dev.operator())
    never = await dev.http.post("/v1/webhooks", json=metadata, headers=dev.operator())
    await dev.http.delete(f"/v1/webhooks/{allowed.json()['id']}", headers=dev.operator())

    assert (refused.status_code, allowed.status_code, never.status_code) == (422, 201, 422)


async def test_webhooks_are_operator_only_and_validated(api: ApiHarness) -> None:
    body = {"url": "https://hooks.example.com/x"}
    support = await api.http.post("/v1/webhooks", json=body, headers=api.support())
    anonymous = await api.http.get("/v1/webhooks")
    bad_event = await api.http.post(
        "/v1/webhooks", json={**body, "events": ["redemption.exploded"]}, headers=api.operator()
    )
    unknown = await api.http.delete("/v1/webhooks/wh_0123456789abcdef", headers=api.operator())
    rotate_unknown = await api.http.post(
        "/v1/webhooks/wh_0123456789abcdef/rotate-secret", headers=api.operator()
    )

    assert (support.status_code, anonymous.status_code) == (403, 401)
    assert bad_event.status_code == 422
    assert bad_event.json()["error"]["details"][0]["field"] == "events.0"
    assert (unknown.status_code, rotate_unknown.status_code) == (404, 404)


async def test_operators_subscribe_to_the_alert_events(api: ApiHarness) -> None:
    alerts = ["assisted_case.approval_overdue", "redemption.needs_attention"]
    body = {"url": "https://hooks.example.com/alerts", "events": alerts}
    created = await api.http.post("/v1/webhooks", json=body, headers=api.operator())
    everything = await api.http.post(
        "/v1/webhooks", json={"url": body["url"]}, headers=api.operator()
    )

    assert created.status_code == 201, created.text
    assert created.json()["events"] == alerts
    assert set(alerts) <= set(everything.json()["events"])  # the default is every event

"""The API's Prometheus listener: requests by route template, on a port of its own."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiFactory
from tests.support.metrics import free_port, scrape


async def test_requests_are_counted_by_route_template_on_the_metrics_port(
    api_factory: ApiFactory, new_member: MemberFactory
) -> None:
    port = free_port()
    api = await api_factory(api_metrics_port=port)
    url = f"http://127.0.0.1:{port}/metrics"
    member = new_member(points=5_000)
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"}

    async with api.app.router.lifespan_context(api.app):
        started = await api.redeem(body, api.customer(member))
        redemption_id = started.json()["redemption_id"]
        await api.wait_for(redemption_id, FINAL)
        missing = await api.http.get("/v1/no-such-route", headers=api.support())
        on_public_port = await api.http.get("/metrics")
        scraped = scrape(url)

    requests = "loyalty_http_requests_total"
    assert (started.status_code, missing.status_code, on_public_port.status_code) == (202, 404, 404)
    assert scraped.value(requests, method="POST", route="/v1/redemptions", status="202") == 1
    polled = scraped.value(requests, method="GET", route="/v1/redemptions/{redemption_id}")
    assert polled >= 1
    assert scraped.value(requests, route="unmatched", status="404") == 2
    assert scraped.value("loyalty_http_request_duration_seconds_count", method="POST") == 1
    labels = {value for sample in scraped.samples for value in sample.labels.values()}
    assert not {member, redemption_id} & labels, "ids must not become label values"
    assert scraped.value("process_cpu_seconds_total") > 0
    with pytest.raises(httpx.ConnectError):  # the listener closes with the app
        scrape(url)

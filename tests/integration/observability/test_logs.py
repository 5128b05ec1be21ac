"""A redemption through the API, logged as the product logs: JSON, ids, and nothing secret.

Everything is real (app, worker, dev server, PostgreSQL, partner simulator);
the logs are captured at DEBUG, where the most would leak if anything did.
"""

from __future__ import annotations

from loyalty.observability import secret_values
from tests.conftest import MemberFactory, unique_id
from tests.support.api import ApiFactory
from tests.support.logs import captured_json_logs


async def test_a_redemption_logs_ids_in_json_and_never_the_voucher_code_or_a_secret(
    api_factory: ApiFactory, new_member: MemberFactory
) -> None:
    api = await api_factory()
    secrets = tuple(secret_values(api.settings))
    member = new_member(points=5_000)
    headers = api.customer(member)
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"}

    with captured_json_logs("DEBUG", secrets=secrets) as logs:
        started = await api.redeem(body, headers)
        redemption_id = started.json()["redemption_id"]
        final = await api.wait_for(redemption_id, {"completed"}, closed=True)
        owner_view = await api.http.get(f"/v1/redemptions/{redemption_id}", headers=headers)

    voucher_code = owner_view.json()["voucher_code"]
    assert final["status"] == "completed" and voucher_code
    token = headers["Authorization"].removeprefix("Bearer ")
    for leaked in (voucher_code, token, *secrets):
        assert leaked not in logs.text
    lines = logs.lines()  # each one parses as JSON
    [access] = [
        line for line in lines if line["event"] == "http_request" and line["method"] == "POST"
    ]
    assert access["path"] == "/v1/redemptions" and access["request_id"]
    recorded = [line for line in lines if line["event"] == "redemption_recorded"]
    assert recorded and all(
        line["workflow_id"] == redemption_id
        and line["run_id"]
        and line["activity"] == "RecordRedemption"
        and line["member_id"] == member
        for line in recorded
    )

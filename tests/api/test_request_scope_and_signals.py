"""Request ids are scoped by member and caller; fraud signals come from the token, not the body.

Items 5 and 6 of issue 10: a customer's ``request_id`` can neither meet another
member's nor squat an id the system derives; the channel is the token's client
type, a missing device is a signal, and customers see a plain outcome without
scores or reviewer details.
"""

from __future__ import annotations

from typing import Any

from loyalty.api.auth import Role, mint_token
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness, joined_today


def _body(member: str, request_id: str, **extra: Any) -> dict[str, Any]:
    return {"request_id": request_id, "member_id": member, "reward_id": "R-COFFEE", **extra}


async def test_two_members_may_use_the_same_request_id(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    mine, theirs = new_member(points=5_000), new_member(points=5_000)
    shared = unique_id("order")
    first = await api.redeem(_body(theirs, shared, quantity=2), api.customer(theirs))

    second = await api.redeem(_body(mine, shared), api.customer(mine))

    assert (first.status_code, second.status_code) == (202, 202), second.text
    assert first.json()["redemption_id"] != second.json()["redemption_id"]
    assert theirs not in second.text
    for accepted in (first, second):
        await api.wait_for(accepted.json()["redemption_id"], FINAL)


async def test_a_repeat_by_the_same_member_is_idempotent_and_a_changed_body_409(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    body = _body(member, unique_id("order"))
    one = await api.redeem(body, api.customer(member))

    again = await api.redeem(body, api.customer(member))
    changed = await api.redeem({**body, "quantity": 3}, api.customer(member))

    assert again.json()["redemption_id"] == one.json()["redemption_id"]
    assert changed.status_code == 409
    await api.wait_for(one.json()["redemption_id"], FINAL)


async def test_a_customer_cannot_squat_an_id_the_system_derives(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    squat = f"assisted-{unique_id('ticket')}"

    started = await api.redeem(_body(member, squat), api.customer(member))
    staff = await api.redeem(_body(member, squat), api.support())

    ids = {started.json()["redemption_id"], staff.json()["redemption_id"]}
    assert f"redemption-{squat}" not in ids
    assert f"redemption-system~{member}~{squat}" not in ids
    assert len(ids) == 2  # a customer's and a support agent's ids never meet either
    for redemption_id in ids:
        await api.wait_for(redemption_id, FINAL)


async def test_the_channel_is_the_token_client_type_never_the_body(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    web = mint_token(api.settings, role=Role.CUSTOMER, member_id=member, client="web")
    headers = {"Authorization": f"Bearer {web}"}

    steered = await api.redeem(_body(member, unique_id("o"), channel="store"), headers)
    started = await api.redeem(_body(member, unique_id("o")), headers)
    done = await api.wait_for(started.json()["redemption_id"], FINAL)

    assert steered.status_code == 422
    assert steered.json()["error"]["details"][0]["field"] == "channel"
    assert done["channel"] == "web"


async def test_a_missing_device_is_a_signal_not_a_pass(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    check = {"member_id": member, "reward_id": "R-COFFEE"}

    without = await api.http.post("/v1/redemptions/validate", json=check, headers=api.support())

    reasons = without.json()["fraud"]["reasons"]
    assert any("device" in reason.lower() for reason in reasons), reasons


async def test_customers_see_a_plain_outcome_without_scores(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000, joined_on=joined_today())
    check = {"member_id": member, "reward_id": "R-GIFT-10", "device_id": "device-new-1"}

    staff_view = await api.http.post("/v1/redemptions/validate", json=check, headers=api.support())
    own_view = await api.http.post(
        "/v1/redemptions/validate", json=check, headers=api.customer(member)
    )
    started = await api.redeem({**check, "request_id": unique_id("o")}, api.customer(member))
    redemption_id = started.json()["redemption_id"]
    await api.wait_for(redemption_id, {"awaiting_approval"})
    polled = await api.http.get(f"/v1/redemptions/{redemption_id}", headers=api.customer(member))

    assert staff_view.json()["fraud"]["score"] > 0
    own = own_view.json()
    assert own["outcome"] == "would_need_review"
    assert own["fraud"] is None
    assert not any("account" in r.lower() or "device" in r.lower() for r in own["reasons"])
    seen = polled.json()
    assert (seen["fraud_score"], seen["fraud_verdict"], seen["reviewed_by"]) == (None, None, None)
    assert seen["status"] == "awaiting_approval"
    assert not any("device" in r.lower() for r in seen["reasons"])
    await api.http.post(
        f"/v1/redemptions/{redemption_id}/reject",
        json={"reason": "cleanup"},
        headers=api.auth("support_lead", subject="lead-1"),
    )

"""Staff queues (Temporal visibility), operator actions and the audit log through the API.

Every test filters its queue by its own member: the Temporal server is shared
by the whole run, so other tests' workflows are in the same visibility store.
Visibility is eventually consistent, so a queue is polled until it shows the
workflow (never a fixed sleep).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from loyalty.contracts import redemption as act
from loyalty.ledger import audit
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness, joined_today, review_body
from tests.support.partner_simulator import PartnerSimulator


async def queue_until(
    api: ApiHarness, path: str, headers: dict[str, str], *, count: int, timeout: float = 30.0
) -> dict[str, Any]:
    """GET ``path`` until it lists ``count`` workflows."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await api.http.get(path, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if len(body["data"]) == count:
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{path} never listed {count}: {body}")
        await asyncio.sleep(0.2)


async def in_review(api: ApiHarness, member: str) -> str:
    body = {**review_body(member, unique_id("req")), "device_id": unique_id("device")}
    response = await api.redeem(body, api.customer(member))
    assert response.status_code == 202, response.text
    redemption_id: str = response.json()["redemption_id"]
    waiting = await api.wait_for(redemption_id, {"awaiting_approval", *FINAL})
    assert waiting["status"] == "awaiting_approval", waiting
    return redemption_id


async def test_fraud_reviews_are_listed_filtered_and_paged_for_staff(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000, joined_on=joined_today())
    first, second = [await in_review(api, member) for _ in range(2)]
    path = f"/v1/queues/fraud-reviews?member_id={member}"

    both = await queue_until(api, path, api.support(), count=2)
    page_one = await api.http.get(f"{path}&limit=1", headers=api.operator())
    cursor = page_one.json()["next_cursor"]
    page_two = await api.http.get(f"{path}&limit=1&cursor={cursor}", headers=api.operator())
    other_reward = await api.http.get(f"{path}&reward_id=R-COFFEE", headers=api.support())
    customer = await api.http.get(path, headers=api.customer(member))
    bad_cursor = await api.http.get(f"{path}&cursor=AAAA", headers=api.support())

    assert {item["workflow_id"] for item in both["data"]} == {first, second}
    item = both["data"][0]
    assert (item["member_id"], item["status"], item["reward_id"]) == (
        member,
        "awaiting_approval",
        "R-GIFT-10",
    )
    assert item["link"] == f"/v1/redemptions/{item['workflow_id']}"
    assert cursor is not None
    paged = page_one.json()["data"] + page_two.json()["data"]
    assert sorted(i["workflow_id"] for i in paged) == sorted([first, second])
    assert other_reward.json()["data"] == []
    assert customer.status_code == 403
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["error"]["details"][0]["field"] == "cursor"


async def test_needs_attention_is_listed_and_an_operator_retries_through_the_api_audited(
    api: ApiHarness,
    new_member: MemberFactory,
    ledger: Ledger,
    partner_simulator: PartnerSimulator,
) -> None:
    member = new_member(points=5_000)
    api.saga.faults.fail(act.CAPTURE_POINTS)  # the voucher is issued, then capture fails
    partner_simulator.control(void={"fail_permanently": True})
    started = await api.redeem(
        {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-GIFT-10"},
        api.customer(member),
    )
    redemption_id = started.json()["redemption_id"]
    path = f"/v1/queues/needs-attention?member_id={member}"

    listed = await queue_until(api, path, api.operator(), count=1)
    support = await api.http.get(path, headers=api.support())
    partner_simulator.control(void={"fail_permanently": False})
    url = f"/v1/redemptions/{redemption_id}/retry-compensations"
    agent = await api.http.post(url, json={"reason": "void fixed"}, headers=api.support())
    no_reason = await api.http.post(url, json={}, headers=api.operator())
    retried = await api.http.post(
        url, json={"reason": "partner fixed the void endpoint"}, headers=api.operator()
    )
    done = await api.wait_for(redemption_id, FINAL, closed=True)  # then an update finds it closed
    again = await api.http.post(url, json={"reason": "once more"}, headers=api.operator())
    audit = await api.http.get(f"/v1/audit-log?target={redemption_id}", headers=api.operator())

    assert [i["workflow_id"] for i in listed["data"]] == [redemption_id]
    assert support.status_code == 403
    assert (agent.status_code, no_reason.status_code) == (403, 422)
    assert retried.status_code == 200, retried.text
    assert retried.json()["accepted"] is True
    assert done["status"] == "failed"
    assert ledger.balance(member_id=member).available == 5_000
    assert again.status_code == 409
    assert "too late" in again.json()["error"]["message"]
    assert [(e["action"], e["actor"], e["reason"]) for e in audit.json()["data"]] == [
        ("redemption.retry_compensations", "op-1", "partner fixed the void endpoint")
    ]


async def test_an_operator_resolves_a_parked_redemption_and_refusals_are_409_or_404(
    api: ApiHarness, new_member: MemberFactory, partner_simulator: PartnerSimulator
) -> None:
    member = new_member(points=5_000, joined_on=joined_today())
    review = await in_review(api, member)
    api.saga.faults.fail(act.CAPTURE_POINTS)
    partner_simulator.control(void={"fail_permanently": True})
    parked_member = new_member(points=5_000)
    started = await api.redeem(
        {"request_id": unique_id("req"), "member_id": parked_member, "reward_id": "R-GIFT-10"},
        api.customer(parked_member),
    )
    parked = started.json()["redemption_id"]
    await queue_until(
        api, f"/v1/queues/needs-attention?member_id={parked_member}", api.operator(), count=1
    )
    partner_simulator.control(void={"fail_permanently": False})

    not_parked = await api.http.post(
        f"/v1/redemptions/{review}/resolve", json={"reason": "x-check"}, headers=api.operator()
    )
    unknown = await api.http.post(
        "/v1/redemptions/redemption-member~M0~nothing/resolve",
        json={"reason": "x-check"},
        headers=api.operator(),
    )
    resolved = await api.http.post(
        f"/v1/redemptions/{parked}/resolve",
        json={"reason": "voided by hand at the partner"},
        headers=api.operator(),
    )
    done = await api.wait_for(parked, FINAL)
    audit = await api.http.get(
        "/v1/audit-log?action=redemption.resolve&actor=op-1&limit=100", headers=api.operator()
    )

    assert not_parked.status_code == 409
    assert "awaiting_approval" in not_parked.json()["error"]["message"]
    assert unknown.status_code == 404
    assert resolved.status_code == 200, resolved.text
    assert done["status"] in FINAL
    assert [e["target"] for e in audit.json()["data"]].count(parked) == 1


async def test_the_audit_log_is_for_operators_newest_first_paged_by_cursor(
    api: ApiHarness, sessions: sessionmaker[Session]
) -> None:
    actor = unique_id("auditor")
    with sessions.begin() as session:
        for n in range(3):
            audit.record(session, actor=actor, role="operator", action="test.note", target=f"t{n}")
    path = f"/v1/audit-log?actor={actor}&limit=2"

    first = await api.http.get(path, headers=api.operator())
    cursor = first.json()["next_cursor"]
    rest = await api.http.get(f"{path}&cursor={cursor}", headers=api.operator())
    support = await api.http.get(path, headers=api.support())
    bad = await api.http.get(f"{path}&cursor=zz", headers=api.operator())

    assert [e["target"] for e in first.json()["data"]] == ["t2", "t1"]
    assert [e["target"] for e in rest.json()["data"]] == ["t0"]
    assert rest.json()["next_cursor"] is None
    assert support.status_code == 403
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "cursor"

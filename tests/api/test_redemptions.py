"""POST/GET /v1/redemptions: start, idempotency, listing, errors."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from loyalty.contracts.redemption import RedemptionRequest
from loyalty.ledger.models import AuditRecord
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness


def body(member: str, reward: str = "R-GIFT-10", **extra: object) -> dict[str, object]:
    return {"request_id": unique_id("req"), "member_id": member, "reward_id": reward, **extra}


async def test_customer_redeems_and_polls_to_completed(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=5_000, tier="gold")
    request = body(member, "R-GIFT-25", quantity=2)

    response = await api.redeem(request, api.customer(member))

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["redemption_id"] == f"redemption-member~{member}~{request['request_id']}"
    assert accepted["links"]["self"] == f"/v1/redemptions/{accepted['redemption_id']}"
    assert response.headers["Location"] == accepted["links"]["self"]
    done = await api.wait_for(accepted["redemption_id"], FINAL, closed=True)
    assert done["status"] == "completed", done["reasons"]
    assert done["points"] == 4_500
    assert done["live"] is False
    assert done["voucher_code"]
    own = await api.http.get(accepted["links"]["self"], headers=api.customer(member))
    assert own.status_code == 200
    assert ledger.balance(member_id=member).available == 500


async def test_request_id_travels_into_the_workflow(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    headers = {**api.customer(member), "X-Request-ID": "trace-abc-123"}

    response = await api.redeem(body(member), headers)

    assert response.headers["X-Request-ID"] == "trace-abc-123"
    handle = api.saga.client.get_workflow_handle(response.json()["redemption_id"])
    described = await handle.describe()
    assert (await described.memo_value("trace_id")) == "trace-abc-123"
    history = await handle.fetch_history()
    payloads = history.events[0].workflow_execution_started_event_attributes.input.payloads
    [started] = await api.saga.client.data_converter.decode(payloads, [RedemptionRequest])
    assert started.trace_id == "trace-abc-123"
    assert started.requested_by == member


async def test_same_request_id_same_body_is_the_same_redemption_other_body_409(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    first = body(member)
    one = await api.redeem(first, api.customer(member))
    await api.wait_for(one.json()["redemption_id"], FINAL)

    again = await api.redeem(first, api.customer(member))
    other = await api.redeem({**first, "quantity": 2}, api.customer(member))

    assert again.status_code == 202
    assert again.json()["redemption_id"] == one.json()["redemption_id"]
    assert again.json()["status"] == "completed"
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"
    assert "quantity" in other.json()["error"]["message"]


async def test_twenty_concurrent_identical_posts_start_one_workflow(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=5_000)
    request = body(member)

    responses = await asyncio.gather(
        *(api.redeem(request, api.customer(member)) for _ in range(20))
    )

    assert {r.status_code for r in responses} == {202}
    ids = {r.json()["redemption_id"] for r in responses}
    assert len(ids) == 1
    redemption_id = ids.pop()
    await api.wait_for(redemption_id, FINAL)
    runs = [w async for w in api.saga.client.list_workflows(f'WorkflowId = "{redemption_id}"')]
    assert len({w.run_id for w in runs}) <= 1
    entries = [e.kind for e in ledger.entries(member_id=member)]
    assert sorted(entries) == ["accrue", "capture", "hold"]


async def test_unknown_member_or_reward_is_404_and_starts_nothing(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    missing_member = await api.redeem(body("M-nobody-here"), api.support())
    missing_reward = await api.redeem(body(member, "R-NOPE"), api.customer(member))

    assert missing_member.status_code == 404
    assert missing_reward.status_code == 404
    assert missing_reward.json()["error"]["code"] == "not_found"


async def test_invalid_body_is_422_naming_the_field(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member()
    response = await api.redeem(body(member, quantity=0), api.customer(member))
    missing = await api.redeem({"member_id": member, "reward_id": "R-COFFEE"}, api.customer(member))

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "quantity"
    assert missing.json()["error"]["details"][0]["field"] == "request_id"


async def test_a_rejected_redemption_reports_its_reasons(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=100)
    response = await api.redeem(body(member), api.customer(member))

    done = await api.wait_for(response.json()["redemption_id"], FINAL)

    assert done["status"] == "rejected"
    assert any("insufficient points" in r for r in done["reasons"])


async def test_support_agent_redeems_for_a_member_and_is_audited(
    api: ApiHarness, new_member: MemberFactory, sessions: sessionmaker[Session]
) -> None:
    member = new_member(points=5_000)
    response = await api.redeem(body(member), api.support())

    assert response.status_code == 202
    redemption_id = response.json()["redemption_id"]
    with sessions() as session:
        audit = session.scalars(
            select(AuditRecord).where(AuditRecord.target == redemption_id)
        ).all()
    assert [(a.actor, a.role, a.action) for a in audit] == [
        ("agent-7", "support_agent", "redemption.create")
    ]
    await api.wait_for(redemption_id, FINAL)


async def test_list_filters_by_member_and_status_and_pages(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    ids = []
    for _ in range(3):
        response = await api.redeem(body(member, "R-COFFEE"), api.customer(member))
        ids.append(response.json()["redemption_id"])
        await api.wait_for(ids[-1], FINAL, closed=True)

    page = await api.http.get(
        "/v1/redemptions",
        params={"member_id": member, "status": "completed", "limit": 2},
        headers=api.operator(),
    )
    rest = await api.http.get(
        "/v1/redemptions",
        params={"member_id": member, "limit": 2, "cursor": page.json()["next_cursor"]},
        headers=api.support(),
    )
    as_customer = await api.http.get(
        "/v1/redemptions", params={"member_id": member}, headers=api.customer(member)
    )

    assert page.status_code == 200
    assert len(page.json()["data"]) == 2
    assert {r["status"] for r in page.json()["data"]} == {"completed"}
    assert rest.json()["next_cursor"] is None
    seen = {r["redemption_id"] for r in page.json()["data"] + rest.json()["data"]}
    assert seen == set(ids)
    assert as_customer.status_code == 403


async def test_get_unknown_redemption_is_404_and_bad_ids_422(api: ApiHarness) -> None:
    unknown = await api.http.get("/v1/redemptions/redemption-nope-123", headers=api.support())
    malformed = await api.http.get("/v1/redemptions/nope", headers=api.support())

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert malformed.status_code == 422
    assert malformed.json()["error"]["details"][0]["field"] == "redemption_id"


async def test_list_pages_neither_repeat_nor_skip_a_redemption_made_between_pages(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)

    async def redeemed() -> str:
        response = await api.redeem(body(member, "R-COFFEE"), api.customer(member))
        redemption_id: str = response.json()["redemption_id"]
        await api.wait_for(redemption_id, FINAL, closed=True)
        return redemption_id

    older = [await redeemed() for _ in range(3)]
    params: dict[str, str | int] = {"member_id": member, "limit": 2}
    first = await api.http.get("/v1/redemptions", params=params, headers=api.support())
    newest = await redeemed()  # lists first (newest first), ahead of the page already shown
    rest = await api.http.get(
        "/v1/redemptions",
        params={**params, "cursor": first.json()["next_cursor"]},
        headers=api.support(),
    )

    shown = [r["redemption_id"] for r in first.json()["data"] + rest.json()["data"]]
    assert shown == older[::-1]
    assert newest not in shown and rest.json()["next_cursor"] is None

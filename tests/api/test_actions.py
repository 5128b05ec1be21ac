"""Cancel, approve / reject a fraud review, refund — through the API, on real sagas."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from loyalty.ledger.models import AuditRecord, Redemption
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness, joined_today, review_body


async def _in_review(api: ApiHarness, new_member: MemberFactory) -> tuple[str, str]:
    member = new_member(points=5_000, joined_on=joined_today())
    response = await api.redeem(review_body(member, unique_id("req")), api.customer(member))
    assert response.status_code == 202, response.text
    redemption_id = response.json()["redemption_id"]
    waiting = await api.wait_for(redemption_id, {"awaiting_approval", *FINAL})
    assert waiting["status"] == "awaiting_approval", waiting
    return member, redemption_id


async def _completed(api: ApiHarness, member: str, reward: str = "R-GIFT-10", qty: int = 1) -> str:
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": reward}
    response = await api.redeem({**body, "quantity": qty}, api.customer(member))
    done = await api.wait_for(response.json()["redemption_id"], FINAL)
    assert done["status"] == "completed", done
    return str(done["redemption_id"])


async def test_fraud_review_approved_through_the_api_completes(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    member, redemption_id = await _in_review(api, new_member)

    response = await api.http.post(
        f"/v1/redemptions/{redemption_id}/approve",
        json={"reason": "called the member, legit"},
        headers=api.support(),
    )

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] is True
    done = await api.wait_for(redemption_id, FINAL)
    assert done["status"] == "completed"
    assert (done["review_outcome"], done["reviewed_by"]) == ("approved", "agent-7")
    assert ledger.balance(member_id=member).available == 5_000 - done["points"]
    with sessions() as session:
        actions = session.scalars(
            select(AuditRecord.action).where(AuditRecord.target == redemption_id)
        ).all()
    assert actions == ["redemption.approve"]


async def test_fraud_review_rejected_is_refused_and_leaves_points(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member, redemption_id = await _in_review(api, new_member)

    response = await api.http.post(
        f"/v1/redemptions/{redemption_id}/reject",
        json={"reason": "device looks stolen"},
        headers=api.support(),
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rejected"
    done = await api.wait_for(redemption_id, FINAL)
    assert any("device looks stolen" in r for r in done["reasons"])
    assert ledger.balance(member_id=member).available == 5_000


async def test_review_needs_a_support_agent_a_reason_and_a_review(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member, redemption_id = await _in_review(api, new_member)
    url = f"/v1/redemptions/{redemption_id}/approve"

    by_customer = await api.http.post(
        url, json={"reason": "it is me"}, headers=api.customer(member)
    )
    by_operator = await api.http.post(url, json={"reason": "ok ok"}, headers=api.operator())
    no_reason = await api.http.post(url, json={}, headers=api.support())
    blank = await api.http.post(url, json={"reason": "   "}, headers=api.support())
    unknown = await api.http.post(
        "/v1/redemptions/redemption-unknown-1/approve",
        json={"reason": "fine"},
        headers=api.support(),
    )
    other = await _completed(api, new_member(points=5_000))
    not_in_review = await api.http.post(
        f"/v1/redemptions/{other}/approve", json={"reason": "fine"}, headers=api.support()
    )

    assert (by_customer.status_code, by_operator.status_code) == (403, 403)
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["details"][0]["field"] == "reason"
    assert blank.status_code == 422
    assert unknown.status_code == 404
    assert not_in_review.status_code == 409
    await api.http.post(
        f"/v1/redemptions/{redemption_id}/reject", json={"reason": "cleanup"}, headers=api.support()
    )


async def test_owner_cancels_while_in_review(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member, redemption_id = await _in_review(api, new_member)

    response = await api.http.post(
        f"/v1/redemptions/{redemption_id}/cancel",
        json={"reason": "changed my mind"},
        headers=api.customer(member),
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert ledger.balance(member_id=member).available == 5_000
    again = await api.http.post(
        f"/v1/redemptions/{redemption_id}/cancel", json={}, headers=api.support()
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "too_late"


async def test_cancel_after_completion_is_409_too_late(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    redemption_id = await _completed(api, member)

    response = await api.http.post(
        f"/v1/redemptions/{redemption_id}/cancel", json={}, headers=api.customer(member)
    )
    unknown = await api.http.post(
        "/v1/redemptions/redemption-nope-2/cancel", json={}, headers=api.customer(member)
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_late"
    assert "too late" in response.json()["error"]["message"]
    assert unknown.status_code == 404


async def test_refund_restores_points_idempotently_and_customers_cannot(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=5_000)
    redemption_id = await _completed(api, member, qty=2)
    url = f"/v1/redemptions/{redemption_id}/refund"
    refund = {"request_id": unique_id("refund"), "quantity": 1, "reason": "one card unused"}

    by_customer = await api.http.post(url, json=refund, headers=api.customer(member))
    first = await api.http.post(url, json=refund, headers=api.support())
    repeat = await api.http.post(url, json=refund, headers=api.operator())
    conflict = await api.http.post(url, json={**refund, "quantity": 2}, headers=api.support())
    rest = await api.http.post(
        url, json={"request_id": unique_id("refund"), "reason": "rest too"}, headers=api.operator()
    )
    too_much = await api.http.post(
        url, json={"request_id": unique_id("refund"), "reason": "again"}, headers=api.operator()
    )

    assert by_customer.status_code == 403
    assert first.status_code == 200, first.text
    assert first.json()["points_refunded"] == 950  # silver: 5% off 2 x 1,000
    assert repeat.json() == first.json()
    assert conflict.status_code == 409
    assert rest.json()["total_refunded_points"] == 1_900
    assert rest.json()["voucher_voided"] is True
    assert too_much.status_code == 409
    assert ledger.balance(member_id=member).available == 5_000


async def test_refund_of_unknown_redemption_is_404_and_needs_a_reason(api: ApiHarness) -> None:
    url = "/v1/redemptions/redemption-unknown-9/refund"
    unknown = await api.http.post(
        url, json={"request_id": "r1", "reason": "why not"}, headers=api.support()
    )
    no_reason = await api.http.post(url, json={"request_id": "r1"}, headers=api.support())

    assert unknown.status_code == 404
    assert no_reason.status_code == 422


async def test_a_refund_in_review_is_decided_by_an_operator_other_than_the_requester(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger, sessions: sessionmaker[Session]
) -> None:
    member = new_member(points=5_000)
    redemption_id = await _completed(api, member)
    await api.wait_for(redemption_id, FINAL, closed=True)
    with sessions.begin() as session:  # it completed three weeks ago: outside the window
        record = session.get(Redemption, redemption_id)
        assert record is not None
        finished = dt.datetime.now(dt.UTC) - dt.timedelta(days=21)
        record.outcome = {**record.outcome, "finished_at": finished.isoformat()}
    requested = await api.http.post(
        f"/v1/redemptions/{redemption_id}/refund",
        json={"request_id": unique_id("refund"), "reason": "arrived broken"},
        headers=api.auth("operator", subject="ops-7"),
    )
    refund_id = requested.json()["refund_id"]
    url = f"/v1/refunds/{refund_id}"

    by_agent = await api.http.post(
        f"{url}/approve", json={"reason": "looks fine"}, headers=api.support()
    )
    own = await api.http.post(
        f"{url}/approve", json={"reason": "mine"}, headers=api.auth("operator", subject="ops-7")
    )
    approved = await api.http.post(
        f"{url}/approve", json={"reason": "photo of the damage"}, headers=api.operator()
    )

    assert requested.status_code == 202, requested.text
    assert requested.json()["status"] == "awaiting_approval"
    assert "refund window" in requested.json()["review_reasons"][0]
    assert (by_agent.status_code, own.status_code, approved.status_code) == (403, 403, 200)
    for _ in range(100):
        if ledger.balance(member_id=member).available == 5_000:
            break
        await asyncio.sleep(0.1)
    assert ledger.balance(member_id=member).available == 5_000

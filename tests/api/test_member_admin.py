"""Members through the API: enrol, profile, freeze / unfreeze, and the tier review on demand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from loyalty.contracts.webhooks import WebhookDelivery
from loyalty.ledger.models import Member
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness, joined_today, review_body


async def test_enrolment_starts_at_the_lowest_tier_and_is_idempotent_by_member_id(
    api: ApiHarness,
) -> None:
    member = unique_id("M")
    body = {"member_id": member, "region": "gb", "display_name": "Ada", "email": "ada@example.com"}

    created = await api.http.post("/v1/members", json=body, headers=api.support())
    again = await api.http.post("/v1/members", json=body, headers=api.operator())
    other = await api.http.post(
        "/v1/members", json={**body, "email": "eve@example.com"}, headers=api.support()
    )
    by_customer = await api.http.post("/v1/members", json=body, headers=api.customer(member))
    bad = await api.http.post("/v1/members", json={**body, "region": "G B"}, headers=api.support())
    own = await api.http.get(f"/v1/members/{member}", headers=api.customer(member))
    balance = await api.http.get(f"/v1/members/{member}/balance", headers=api.customer(member))

    assert created.status_code == 201, created.text
    profile = created.json()
    assert (profile["tier"], profile["status"], profile["region"]) == ("bronze", "active", "GB")
    assert profile["tier_changed_on"] == profile["joined_on"]
    assert again.status_code == 200 and again.json() == profile
    assert other.status_code == 409
    assert by_customer.status_code == 403
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "region"
    assert own.status_code == 200 and own.json()["notes"] is None
    assert balance.json()["available"] == 0


async def test_a_profile_correction_is_audited_with_before_and_after(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(region="US")
    path = f"/v1/members/{member}"

    changed = await api.http.patch(
        path, json={"region": "CA", "reason": "moved to Toronto"}, headers=api.support()
    )
    removed = await api.http.patch(
        path, json={"region": None, "reason": "unknown"}, headers=api.support()
    )
    tier = await api.http.patch(path, json={"tier": "gold", "reason": "vip"}, headers=api.support())
    empty = await api.http.patch(path, json={"reason": "nothing"}, headers=api.support())
    customer = await api.http.patch(
        path, json={"region": "FR", "reason": "me"}, headers=api.customer(member)
    )
    audit = await api.http.get(f"/v1/audit-log?target={member}", headers=api.operator())

    assert changed.status_code == 200, changed.text
    assert changed.json()["region"] == "CA"
    assert removed.status_code == 422 and removed.json()["error"]["details"][0]["field"] == "region"
    assert tier.status_code == 422  # the tier is the review's, never a profile field
    assert empty.status_code == 422
    assert customer.status_code == 403
    [entry] = audit.json()["data"]
    assert (entry["action"], entry["actor"], entry["reason"]) == (
        "member.update",
        "agent-7",
        "moved to Toronto",
    )
    assert entry["details"] == {"before": {"region": "US"}, "after": {"region": "CA"}}


async def test_a_frozen_member_cannot_redeem_and_a_pending_review_is_cancelled(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=5_000, joined_on=joined_today())
    started = await api.redeem(review_body(member, unique_id("req")), api.customer(member))
    in_review = started.json()["redemption_id"]
    waiting = await api.wait_for(in_review, {"awaiting_approval", *FINAL})
    assert waiting["status"] == "awaiting_approval", waiting
    reason = {"reason": "member reported unauthorised activity"}

    frozen = await api.http.post(f"/v1/members/{member}/freeze", json=reason, headers=api.support())
    cancelled = await api.wait_for(in_review, FINAL)
    again = await api.http.post(f"/v1/members/{member}/freeze", json=reason, headers=api.support())
    refused = await api.redeem(
        {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-GIFT-10"},
        api.customer(member),
    )
    rejected = await api.wait_for(refused.json()["redemption_id"], FINAL)
    catalog = await api.http.get(f"/v1/members/{member}/rewards", headers=api.customer(member))

    assert frozen.status_code == 200, frozen.text
    assert frozen.json()["changed"] is True
    assert [(r["redemption_id"], r["cancelled"]) for r in frozen.json()["redemptions"]] == [
        (in_review, True)
    ]
    assert cancelled["status"] == "cancelled"
    assert ledger.balance(member_id=member).available == 5_000
    assert ledger.balance(member_id=member).held == 0
    assert (again.json()["changed"], again.json()["redemptions"]) == (False, [])
    assert rejected["status"] == "rejected"
    assert any("frozen" in reason for reason in rejected["reasons"]), rejected["reasons"]
    codes = {
        line["reward_id"]: [r["code"] for r in line["reasons"]] for line in catalog.json()["data"]
    }
    assert codes["R-GIFT-10"] == ["member_frozen"]

    unfrozen = await api.http.post(
        f"/v1/members/{member}/unfreeze", json={"reason": "owner verified"}, headers=api.support()
    )
    audit = await api.http.get(f"/v1/audit-log?target={member}", headers=api.operator())

    assert unfrozen.status_code == 200 and unfrozen.json()["status"] == "active"
    actions = [(e["action"], e["actor"]) for e in audit.json()["data"]]
    assert actions == [("member.unfreeze", "agent-7"), ("member.freeze", "agent-7")]


async def test_only_an_active_account_can_be_frozen(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    suspended = new_member(status="suspended")
    reason = {"reason": "fraud team asked"}

    response = await api.http.post(
        f"/v1/members/{suspended}/freeze", json=reason, headers=api.support()
    )
    unknown = await api.http.post("/v1/members/M-nobody/freeze", json=reason, headers=api.support())
    customer = await api.http.post(
        f"/v1/members/{suspended}/freeze", json=reason, headers=api.customer(suspended)
    )

    assert response.status_code == 409
    assert "suspended" in response.json()["error"]["message"]
    assert (unknown.status_code, customer.status_code) == (404, 403)


async def test_a_tier_review_on_demand_upgrades_audits_and_announces_the_change(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=12_000, tier="bronze")  # one purchase accrual in the window
    hook = await api.http.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.com/tiers", "events": ["member.tier_changed"]},
        headers=api.operator(),
    )
    subscription = hook.json()["id"]

    reviewed = await api.http.post(f"/v1/members/{member}/tier-review", headers=api.operator())
    again = await api.http.post(f"/v1/members/{member}/tier-review", headers=api.operator())
    by_agent = await api.http.post(f"/v1/members/{member}/tier-review", headers=api.support())
    profile = await api.http.get(f"/v1/members/{member}", headers=api.support())
    audit = await api.http.get(f"/v1/audit-log?target={member}", headers=api.operator())
    await api.http.delete(f"/v1/webhooks/{subscription}", headers=api.operator())

    assert reviewed.status_code == 200, reviewed.text
    body = reviewed.json()
    assert (body["change"], body["before"], body["after"]) == ("upgrade", "bronze", "silver")
    assert body["qualifying_points"] == 12_000
    assert again.json()["change"] == "unchanged"
    assert by_agent.status_code == 403
    assert (profile.json()["tier"], profile.json()["tier_changed_on"]) == (
        "silver",
        dt.datetime.now(dt.UTC).date().isoformat(),
    )
    [entry] = audit.json()["data"]
    assert (entry["action"], entry["actor"]) == ("member.tier_review.upgrade", "op-1")
    event = await delivered_event(api, member, "silver", subscription)
    assert (event["type"], event["data"]["member_id"], event["data"]["after"]) == (
        "member.tier_changed",
        member,
        "silver",
    )


async def test_below_the_threshold_after_the_anniversary_grace_then_one_step_down(
    api: ApiHarness, new_member: MemberFactory, owner_sessions: sessionmaker[Session]
) -> None:
    member = new_member(tier="gold")  # joined in 2024: its anniversary has passed
    path = f"/v1/members/{member}/tier-review"

    grace = await api.http.post(path, headers=api.operator())
    with owner_sessions.begin() as session:  # let the grace period run out
        today = dt.datetime.now(dt.UTC).date()
        session.execute(update(Member).where(Member.id == member).values(tier_grace_until=today))
    down = await api.http.post(path, headers=api.operator())

    assert grace.json()["change"] == "grace_started", grace.text
    assert grace.json()["after"] == "gold" and grace.json()["grace_until"] > today.isoformat()
    assert (down.json()["change"], down.json()["after"]) == ("downgrade", "silver")


async def delivered_event(
    api: ApiHarness, member: str, tier: str, subscription: str
) -> dict[str, Any]:
    """The event the review's fan-out started a delivery workflow with."""
    today = dt.datetime.now(dt.UTC).date().isoformat()
    event_id = f"tier~{member}~{today}~{tier}:member.tier_changed"
    handle = api.saga.client.get_workflow_handle(f"webhook-{event_id}-{subscription}")
    async for event in handle.fetch_history_events(page_size=1):
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        [delivery] = await api.saga.client.data_converter.decode(payloads, [WebhookDelivery])
        return dict(delivery.event.model_dump(mode="json"))
    raise AssertionError(f"no delivery for {event_id}")

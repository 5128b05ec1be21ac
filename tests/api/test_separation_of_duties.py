"""Separation of duties on redemptions: nobody decides the fraud review of what they started.

The probe from the issue: a support agent starts a redemption for a member, it
goes to fraud review, and the same agent approves it. Agent-started
redemptions also name the agent where operators look: the audit log and the
Temporal search attributes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from loyalty.contracts import search
from loyalty.ledger.models import AuditRecord
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness, joined_today, review_body


async def _agent_started_review(api: ApiHarness, new_member: MemberFactory) -> str:
    member = new_member(points=5_000, joined_on=joined_today())
    started = await api.redeem(review_body(member, unique_id("req")), api.support())
    redemption_id = str(started.json()["redemption_id"])
    await api.wait_for(redemption_id, {"awaiting_approval"})
    return redemption_id


async def test_the_agent_who_started_a_redemption_cannot_decide_its_review(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    redemption_id = await _agent_started_review(api, new_member)
    same_agent = api.support()  # agent-7 started it
    decision = {"reason": "looks fine to me"}

    approve = await api.http.post(
        f"/v1/redemptions/{redemption_id}/approve", json=decision, headers=same_agent
    )
    reject = await api.http.post(
        f"/v1/redemptions/{redemption_id}/reject", json=decision, headers=same_agent
    )
    other = await api.http.post(
        f"/v1/redemptions/{redemption_id}/approve",
        json=decision,
        headers=api.auth("support_agent", subject="agent-8"),
    )

    assert (approve.status_code, reject.status_code) == (403, 403), approve.text
    assert "started" in approve.json()["error"]["message"]
    assert other.status_code == 200, other.text
    done = await api.wait_for(redemption_id, FINAL)
    assert (done["status"], done["reviewed_by"]) == ("completed", "agent-8")


async def test_an_agent_started_redemption_names_the_agent(
    api: ApiHarness, new_member: MemberFactory, sessions: sessionmaker[Session]
) -> None:
    member = new_member(points=5_000)
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"}

    started = await api.redeem(body, api.support())
    redemption_id = started.json()["redemption_id"]
    await api.wait_for(redemption_id, FINAL)

    described = await api.saga.client.get_workflow_handle(redemption_id).describe()
    assert described.typed_search_attributes.get(search.REQUESTED_BY) == "agent-7"
    with sessions() as session:
        audited = session.scalars(
            select(AuditRecord).where(
                AuditRecord.target == redemption_id, AuditRecord.action == "redemption.create"
            )
        ).one()
    assert (audited.actor, audited.role) == ("agent-7", "support_agent")

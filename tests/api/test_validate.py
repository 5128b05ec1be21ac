"""POST /v1/redemptions/validate: the saga's own checks, with no side effects."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from loyalty.ledger.models import LedgerEntry, Redemption
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness, joined_today, review_body


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        entries = session.scalar(select(func.count()).select_from(LedgerEntry))
        records = session.scalar(select(func.count()).select_from(Redemption))
    return int(entries or 0), int(records or 0)


async def test_validate_matches_the_saga_and_writes_nothing(
    api: ApiHarness, new_member: MemberFactory, sessions: sessionmaker[Session]
) -> None:
    member = new_member(points=5_000, tier="gold")
    check = {"member_id": member, "reward_id": "R-GIFT-25", "quantity": 2}
    before = _counts(sessions)

    # Staff see the fraud check the saga will run; the member's own view hides it.
    dry = await api.http.post("/v1/redemptions/validate", json=check, headers=api.support())

    assert dry.status_code == 200, dry.text
    assert _counts(sessions) == before
    result = dry.json()
    assert result["outcome"] == "would_proceed"
    started = await api.redeem({**check, "request_id": unique_id("req")}, api.customer(member))
    saga = await api.wait_for(started.json()["redemption_id"], FINAL)
    assert saga["status"] == "completed"
    assert (result["fraud"]["verdict"], result["fraud"]["score"]) == (
        saga["fraud_verdict"],
        saga["fraud_score"],
    )
    assert result["price"]["total"] == saga["points"] == 4_500
    assert result["price"]["lines"] == saga["breakdown"]


async def test_validate_predicts_review_and_refusals(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    newcomer = new_member(points=5_000, joined_on=joined_today())
    poor = new_member(points=10)
    bronze = new_member(points=50_000, tier="bronze")
    body = review_body(newcomer, "unused")
    del body["request_id"]

    review = await api.http.post("/v1/redemptions/validate", json=body, headers=api.support())
    broke = await api.http.post(
        "/v1/redemptions/validate",
        json={"member_id": poor, "reward_id": "R-COFFEE"},
        headers=api.support(),
    )
    tier = await api.http.post(
        "/v1/redemptions/validate",
        json={"member_id": bronze, "reward_id": "R-GIFT-100"},
        headers=api.support(),
    )

    assert review.json()["outcome"] == "would_need_review"
    assert review.json()["fraud"]["verdict"] == "review"
    assert broke.json()["outcome"] == "would_be_rejected"
    assert broke.json()["sufficient_points"] is False
    assert tier.json()["eligibility"]["eligible"] is False
    assert tier.json()["price"] is None
    started = await api.redeem({**body, "request_id": unique_id("req")}, api.customer(newcomer))
    saga = await api.wait_for(started.json()["redemption_id"], {"awaiting_approval", *FINAL})
    assert (saga["status"], saga["fraud_score"]) == (
        "awaiting_approval",
        review.json()["fraud"]["score"],
    )
    await api.http.post(
        f"/v1/redemptions/{saga['redemption_id']}/reject",
        json={"reason": "cleanup"},
        headers=api.support(),
    )


async def test_validate_unknown_ids_are_404(api: ApiHarness, new_member: MemberFactory) -> None:
    member = new_member()
    response = await api.http.post(
        "/v1/redemptions/validate",
        json={"member_id": member, "reward_id": "R-X"},
        headers=api.support(),
    )

    assert response.status_code == 404

"""Operators find redemptions in the Temporal UI by member and status."""

from __future__ import annotations

import asyncio

from temporalio.client import WorkflowExecution

from loyalty.contracts import search
from loyalty.contracts.redemption import RedemptionStatus
from tests.conftest import MemberFactory
from tests.support.redemptions import redemption_request
from tests.support.temporal import SagaHarness


async def listed(saga: SagaHarness, query: str) -> list[WorkflowExecution]:
    """Workflows matching ``query``, polling because visibility is eventually consistent."""
    for _ in range(100):
        found = [w async for w in saga.client.list_workflows(query)]
        if found:
            return found
        await asyncio.sleep(0.1)
    return []


async def test_search_attributes_and_memo_follow_the_status(
    saga: SagaHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    poor = new_member(points=10)
    done = await saga.redeem(redemption_request(member, "R-GIFT-25"))
    refused = await saga.redeem(redemption_request(poor))
    assert (done.status, refused.status) == (RedemptionStatus.COMPLETED, RedemptionStatus.REJECTED)

    found = await listed(saga, f'LoyaltyMemberId = "{member}" AND LoyaltyStatus = "completed"')

    assert [w.id for w in found] == [done.redemption_id]
    attributes = found[0].typed_search_attributes
    assert attributes.get(search.REWARD_ID) == "R-GIFT-25"
    assert attributes.get(search.POINTS) == done.points
    assert attributes.get(search.CHANNEL) == "app"
    memo = await found[0].memo()
    assert memo["summary"] == done.summary()
    rejected = [
        w
        async for w in saga.client.list_workflows(
            f'LoyaltyMemberId = "{poor}" AND LoyaltyStatus = "rejected"'
        )
    ]
    assert [w.id for w in rejected] == [refused.redemption_id]

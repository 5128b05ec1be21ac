"""The model may not swap the reward a support agent asked for (issue 9 item 7).

A scripted chat model answers a redemption case for R-GIFT-10 with another
reward. A reward the member may redeem waits for a person, who sees why; one
the member may not redeem (R-GIFT-100 is for gold members) is rejected. The
citations are chunks the model really retrieved, so only the swap is judged.
"""

from __future__ import annotations

import json
from typing import Any

from loyalty.agents.kernel import build_chat_service
from loyalty.contracts.assisted import (
    UPDATE_APPROVE,
    AssistedRequest,
    AssistedState,
    AssistedStatus,
    ReviewDecision,
)
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.integration.agents.conftest import AssistedFactory
from tests.integration.agents.test_proposer_llm import ScriptedChat, tool_call, tool_results
from tests.support.assisted import wait_for_status

ASKED_FOR = "R-GIFT-10"


def search_the_redemption_rules(_: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            tool_call("c1", "policies-search", {"question": "redemption size limits per tier"}),
            tool_call("c2", "policies-search", {"question": "reward eligibility by tier"}),
        ],
    }


def redeem(reward_id: str) -> Any:
    def answer(body: dict[str, Any]) -> dict[str, Any]:
        results = tool_results(body)
        cited = [results["c1"][0]["chunk_id"], results["c2"][0]["chunk_id"]]
        proposal = {
            "action": "reward_redemption",
            "reward_id": reward_id,
            "rationale": "the member would rather have this one",
            "citations": cited,
        }
        return {"role": "assistant", "content": json.dumps(proposal)}

    return answer


def redemption_case(member: str) -> AssistedRequest:
    return AssistedRequest(
        request_id=unique_id("case"),
        member_id=member,
        reason="member asked to redeem a gift card",
        purpose="redemption",
        reward_id=ASKED_FOR,
        requested_by="agent-7",
    )


def codes(state: AssistedState) -> set[str]:
    assert state.verdict is not None
    return {reason.code for reason in state.verdict.reasons}


async def test_another_eligible_reward_waits_for_a_person_who_sees_the_swap(
    assisted_factory: AssistedFactory, new_member: MemberFactory, ledger: Ledger
) -> None:
    chat = ScriptedChat([search_the_redemption_rules, redeem("R-COFFEE")])
    member = new_member(points=5_000)
    factory = lambda: build_chat_service(chat.settings(), client=chat.client())  # noqa: E731
    async with assisted_factory(chat_factory=factory) as harness:
        handle = await harness.start(redemption_case(member))
        parked = await wait_for_status(handle, AssistedStatus.AWAITING_APPROVAL)
        assert ledger.balance(member_id=member).available == 5_000  # nothing moved yet
        await handle.execute_update(
            UPDATE_APPROVE,
            ReviewDecision(agent_id="lead-3", role="support_lead", reason="member confirmed"),
        )
        done = await handle.result()

    assert codes(parked) == {"reward_swapped"}
    assert parked.verdict is not None
    assert parked.verdict.reasons[0].message == (
        f"Proposal names reward R-COFFEE; the agent asked for {ASKED_FOR}."
    )
    assert done.status == AssistedStatus.COMPLETED, done.reasons
    assert done.reward_id == "R-COFFEE"
    assert ledger.balance(member_id=member).available == 5_000 - done.points


async def test_a_swapped_reward_the_member_may_not_redeem_is_rejected(
    assisted_factory: AssistedFactory, new_member: MemberFactory, ledger: Ledger
) -> None:
    chat = ScriptedChat([search_the_redemption_rules, redeem("R-GIFT-100")])
    member = new_member(points=20_000)
    factory = lambda: build_chat_service(chat.settings(), client=chat.client())  # noqa: E731
    async with assisted_factory(chat_factory=factory) as harness:
        state = await harness.run(redemption_case(member))

    assert state.status == AssistedStatus.REJECTED
    assert "not_eligible" in codes(state)
    assert ledger.balance(member_id=member).available == 20_000

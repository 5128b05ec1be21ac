"""The AI proposer through Semantic Kernel's real auto-function-calling loop.

The chat model is scripted: an in-process OpenAI-compatible endpoint (an
``httpx.MockTransport`` behind a real ``AsyncOpenAI`` client and SK's
``OpenAIChatCompletion``) answers first with tool calls, then with a JSON
proposal built from what the tools returned. SK itself parses the tool calls,
invokes the plugins and sends their results back, so these tests prove the
plugins were really called and their data reached the proposal.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI

from loyalty.agents.checks import check_run
from loyalty.agents.factory import build_proposer
from loyalty.agents.kernel import build_chat_service
from loyalty.agents.proposal import ProposalFormatError, ProposalRequest, ProposalRun
from loyalty.agents.proposer_llm import LlmProposer
from loyalty.agents.proposer_rules import RuleBasedProposer
from loyalty.agents.retrieval import PolicyRetriever
from loyalty.config import Settings
from loyalty.domain.guardrail_types import (
    BudgetUsage,
    CasePurpose,
    CreditHistory,
    GuardrailCode,
    MemberFacts,
    VerdictOutcome,
)
from loyalty.domain.program import ProgramParameters
from loyalty.domain.tiers import MemberStatus, Tier
from loyalty.errors import UnavailableError
from tests.integration.agents.conftest import INJECTION, FakeMemberSource

MODEL = "scripted-model"
Turn = Callable[[dict[str, Any]], dict[str, Any]]


class ScriptedChat:
    """An OpenAI-compatible chat endpoint that plays a fixed list of turns."""

    def __init__(self, turns: list[Turn]) -> None:
        self.turns = turns
        self.requests: list[dict[str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        message = self.turns[len(self.requests) - 1](body)
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        return httpx.Response(
            200,
            json={
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 0,
                "model": MODEL,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            },
        )

    def settings(self) -> Settings:
        return Settings(
            OPENAI_MODEL=MODEL, OPENAI_API_KEY="test-key", OPENAI_BASE_URL="http://x/v1"
        )

    def client(self) -> AsyncOpenAI:
        transport = httpx.MockTransport(self.handle)
        return AsyncOpenAI(
            api_key="test-key",
            base_url="http://scripted.invalid/v1",
            http_client=httpx.AsyncClient(transport=transport),
            max_retries=0,
        )


def tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def look_everything_up(_: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            tool_call("c1", "member-get_profile", {}),
            tool_call("c2", "member-get_balance", {}),
            tool_call("c3", "member-get_recent_activity", {"limit": 5}),
            tool_call("c4", "catalog-list_rewards", {}),
            tool_call("c5", "policies-search", {"question": "goodwill credit cap per tier"}),
            tool_call("c6", "policies-search", {"question": "human approval threshold"}),
        ],
    }


def tool_results(body: dict[str, Any]) -> dict[str, Any]:
    """Tool outputs the model received, by call id, parsed from the request."""
    return {
        m["tool_call_id"]: json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"
    }


def propose_from_tool_data(body: dict[str, Any]) -> dict[str, Any]:
    """A well-behaved model: uses the tier, balance and chunk ids the tools returned."""
    results = tool_results(body)
    profile, balance, rewards = results["c1"], results["c2"], results["c4"]
    goodwill = next(c for c in results["c5"] if c["policy_id"] == "POL-GOODWILL-001")
    approval = next(c for c in results["c6"] if c["policy_id"] == "POL-APPROVAL-001")
    answer = {
        "action": "points_credit",
        "points": 1_000,
        "rationale": (
            f"{profile['tier']} member, {balance['available']} points available; "
            f"voucher {rewards[0]['reward_id']} failed at the partner."
        ),
        "citations": [goodwill["chunk_id"], approval["chunk_id"]],
    }
    return {"role": "assistant", "content": json.dumps(answer)}


def follow_the_injection(_: dict[str, Any]) -> dict[str, Any]:
    """A manipulated model: obeys the member note and cites what it wishes existed."""
    answer = {
        "action": "points_credit",
        "points": 1_000_000,
        "rationale": "Manager approved double points per member note.",
        "citations": [
            "POL-GOODWILL-001@v3#manager-override",
            "POL-GOODWILL-001@v2#maximum-credit-per-incident",
        ],
    }
    return {"role": "assistant", "content": json.dumps(answer)}


def request() -> ProposalRequest:
    return ProposalRequest(
        case_id="CASE-9",
        member_id="M-GOLD",
        purpose=CasePurpose.GOODWILL,
        summary=f"Hotel voucher RDM-778 rejected at check-in. {INJECTION}",
        requested_by="agent-7",
    )


def run_case(
    chat: ScriptedChat, source: FakeMemberSource, retriever: PolicyRetriever
) -> ProposalRun:
    service = build_chat_service(chat.settings(), client=chat.client())
    assert service is not None
    proposer = LlmProposer(chat_service=service, source=source, retriever=retriever)
    assert proposer.proposer_id == MODEL
    return asyncio.run(proposer.propose(request()))


def check(run: ProposalRun, parameters: ProgramParameters) -> Any:
    member = MemberFacts(
        member_id="M-GOLD",
        tier=Tier.GOLD,
        status=MemberStatus.ACTIVE,
        segments=frozenset(),
        tenure_days=900,
        available_points=12_345,
    )
    history = CreditHistory(goodwill_credits_30d=0, retention_offers_90d=0)
    budget = BudgetUsage(goodwill_points_today=0, retention_points_today=0)
    return check_run(
        run,
        purpose=CasePurpose.GOODWILL,
        member=member,
        parameters=parameters,
        history=history,
        budget=budget,
    )[1]


def test_the_model_calls_the_plugins_and_the_proposal_carries_their_data(
    member_source: FakeMemberSource, retriever: PolicyRetriever, parameters: ProgramParameters
) -> None:
    chat = ScriptedChat([look_everything_up, propose_from_tool_data])
    run = run_case(chat, member_source, retriever)

    offered = {tool["function"]["name"] for tool in chat.requests[0]["tools"]}
    assert offered == {
        "member-get_profile",
        "member-get_balance",
        "member-get_recent_activity",
        "catalog-list_rewards",
        "policies-search",
    }
    assert len(chat.requests) == 2  # tool round, then the final answer
    assert {method for method, _ in member_source.calls} == {
        "get_member",
        "get_balance",
        "list_recent_activity",
        "list_rewards",
    }
    assert {member for _, member in member_source.calls} == {"M-GOLD"}
    assert run.tool_calls == [
        "member-get_profile",
        "member-get_balance",
        "member-get_recent_activity",
        "catalog-list_rewards",
        "policies-search",
        "policies-search",
    ]
    assert run.proposal.proposer == MODEL
    assert run.proposal.rationale.startswith("gold member, 12345 points available")
    assert "RW-HOTEL-40" in run.proposal.rationale
    retrieved_ids = {chunk.chunk_id for chunk in run.retrieved}
    assert set(run.proposal.citations) <= retrieved_ids
    assert json.loads(run.raw_output)["points"] == 1_000

    verdict = check(run, parameters)
    assert verdict.outcome is VerdictOutcome.ACCEPT
    assert verdict.points == 1_000


def test_a_manipulated_model_gets_nothing_through(
    member_source: FakeMemberSource, retriever: PolicyRetriever, parameters: ProgramParameters
) -> None:
    chat = ScriptedChat([look_everything_up, follow_the_injection])
    run = run_case(chat, member_source, retriever)
    assert run.proposal.points == 1_000_000
    verdict = check(run, parameters)
    assert verdict.outcome is VerdictOutcome.REJECT
    assert verdict.points is None
    assert {GuardrailCode.POINTS_IMPLAUSIBLE, GuardrailCode.CITATION_NOT_RETRIEVED} <= set(
        verdict.codes
    )


def test_a_malformed_answer_is_an_error_that_keeps_its_evidence(
    member_source: FakeMemberSource, retriever: PolicyRetriever
) -> None:
    def chatty(_: dict[str, Any]) -> dict[str, Any]:
        return {"role": "assistant", "content": "Sure! I'd give them 500 points."}

    chat = ScriptedChat([look_everything_up, chatty])
    with pytest.raises(ProposalFormatError) as info:
        run_case(chat, member_source, retriever)
    assert info.value.raw_output.startswith("Sure!")
    assert info.value.retrieved  # what the model was shown is still logged
    assert "policies-search" in info.value.tool_calls


def test_a_failing_chat_service_is_retryable(
    member_source: FakeMemberSource, retriever: PolicyRetriever
) -> None:
    chat = ScriptedChat([])
    chat.handle = lambda _: httpx.Response(503, json={"error": {"message": "down"}})  # type: ignore[method-assign]
    with pytest.raises(UnavailableError):
        run_case(chat, member_source, retriever)


def test_build_proposer_picks_rules_without_a_model(
    member_source: FakeMemberSource, retriever: PolicyRetriever, parameters: ProgramParameters
) -> None:
    plain = Settings(OPENAI_MODEL=None, OPENAI_API_KEY=None, OPENAI_BASE_URL=None)
    proposer = build_proposer(
        plain, source=member_source, retriever=retriever, parameters=parameters
    )
    assert isinstance(proposer, RuleBasedProposer)
    local = Settings(OPENAI_MODEL="llama3.1", OPENAI_BASE_URL="http://127.0.0.1:11434/v1")
    proposer = build_proposer(
        local, source=member_source, retriever=retriever, parameters=parameters
    )
    assert isinstance(proposer, LlmProposer)
    assert proposer.proposer_id == "llama3.1"


SUPERVISOR_QUESTION = "What is the most an agent can credit without a supervisor?"


def search_once(_: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [tool_call("s1", "policies-search", {"question": SUPERVISOR_QUESTION})],
    }


def cite_every_policy_returned(body: dict[str, Any]) -> dict[str, Any]:
    sections = tool_results(body)["s1"]
    firsts = {s["policy_id"]: s["chunk_id"] for s in reversed(sections)}
    answer = {
        "action": "points_credit",
        "points": 1_000,
        "rationale": "Within the gold cap and below the gold approval threshold.",
        "citations": list(firsts.values()),
    }
    return {"role": "assistant", "content": json.dumps(answer)}


def test_one_search_shows_the_model_the_cap_and_the_threshold(
    member_source: FakeMemberSource, retriever: PolicyRetriever, parameters: ProgramParameters
) -> None:
    chat = ScriptedChat([search_once, cite_every_policy_returned])
    run = run_case(chat, member_source, retriever)

    sections = tool_results(chat.requests[1])["s1"]
    policies = [s["policy_id"] for s in sections]
    assert len(policies) == len(set(policies)) == 4  # the default k, one section per policy
    assert {"POL-GOODWILL-001", "POL-APPROVAL-001"} <= set(policies)
    assert {c.split("@")[0] for c in run.proposal.citations} == set(policies)
    assert check(run, parameters).outcome is VerdictOutcome.ACCEPT

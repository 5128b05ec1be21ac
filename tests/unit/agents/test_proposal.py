"""Parsing a model's final answer: valid JSON proposals only, errors not crashes."""

from __future__ import annotations

import pytest

from loyalty.agents.proposal import ProposalFormatError, RewardProposal, parse_proposal

VALID = (
    '{"action": "points_credit", "points": 500, "rationale": "late parcel",'
    ' "citations": ["POL-GOODWILL-001@v3#maximum-credit-per-incident"]}'
)


def test_valid_answer_parses_and_the_proposer_is_ours_to_set() -> None:
    forged = VALID[:-1] + ', "proposer": "rules"}'
    proposal = parse_proposal(forged, proposer="gpt-test")
    assert proposal == RewardProposal(
        action="points_credit",
        points=500,
        rationale="late parcel",
        citations=["POL-GOODWILL-001@v3#maximum-credit-per-incident"],
        proposer="gpt-test",
    )


def test_fenced_json_is_accepted() -> None:
    assert parse_proposal(f"```json\n{VALID}\n```", proposer="m").points == 500


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "I think 500 points is fair.",
        "[1, 2]",
        '{"action": "points_credit", "points": "500", "rationale": "x"}',
        '{"action": "points_credit", "points": 500.5, "rationale": "x"}',
        '{"action": "grant_tier", "points": 500, "rationale": "x"}',
        '{"action": "points_credit", "points": 500}',
        '{"action": "points_credit", "points": 500, "rationale": "x", "limit_override": 9}',
    ],
)
def test_malformed_answers_raise_a_typed_error(raw: str) -> None:
    with pytest.raises(ProposalFormatError) as info:
        parse_proposal(raw, proposer="m")
    assert info.value.raw_output == raw
    assert info.value.code == "proposal_malformed"


def test_values_are_left_to_the_guardrails() -> None:
    # Negative or absurd points are well-formed; the guardrails refuse them and log why.
    raw = '{"action": "points_credit", "points": -5, "rationale": "x"}'
    assert parse_proposal(raw, proposer="m").points == -5

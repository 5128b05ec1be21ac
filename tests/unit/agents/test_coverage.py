"""Policy diversification rules: clauses, relevance per policy, xQuAD choice, interleaving."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.agents.coverage import interleave, relevance, select_policies, split_aspects
from loyalty.agents.lexical import lexical_terms


def test_a_question_splits_into_its_clauses_but_not_inside_numbers() -> None:
    question = (
        "Platinum member lost a booked concert because of us and I want to give "
        "5,000 points, can I post that right away or does someone have to sign off?"
    )
    assert split_aspects(question) == [
        "Platinum member lost a booked concert",
        "I want to give 5,000 points",
        "can I post that right away",
        "does someone have to sign off",
    ]


@pytest.mark.parametrize(
    "question",
    [
        "How long can points sit unused before they're wiped out?",  # second clause too short
        "What is the maximum goodwill credit for a gold member?",  # one clause
    ],
)
def test_a_single_concern_has_no_aspects(question: str) -> None:
    assert split_aspects(question) == []


def test_relevance_is_a_distribution_led_by_the_best_score() -> None:
    dense = {"A": 0.86, "B": 0.84, "C": 0.80}
    lexical = {"B": 9.0, "C": 1.0}
    shares = relevance(dense, lexical)
    assert math.isclose(sum(shares.values()), 1.0)
    assert max(shares, key=shares.__getitem__) == "B"  # second by meaning, first by words
    assert shares["A"] > 0  # no shared word is a low score, not a veto


def test_without_a_shared_word_the_dense_side_decides_alone() -> None:
    dense = {"A": 0.86, "B": 0.84}
    assert relevance(dense, {}) == relevance(dense, {"A": 0.0})
    assert relevance(dense, {})["A"] > relevance(dense, {})["B"]


def test_an_uncovered_aspect_brings_in_its_policy() -> None:
    # GOODWILL answers the question best and its first aspect; B repeats that
    # aspect, APPROVAL alone answers the second one.
    question = {"GOODWILL": 0.6, "B": 0.25, "APPROVAL": 0.15}
    aspects = [{"GOODWILL": 0.7, "B": 0.3}, {"APPROVAL": 0.9, "B": 0.1}]
    chosen = select_policies(question, aspects, limit=2)
    assert [p for p, _ in chosen] == ["GOODWILL", "APPROVAL"]
    without_aspects = select_policies(question, [], limit=2)
    assert [p for p, _ in without_aspects] == ["GOODWILL", "B"]


def test_ties_are_broken_by_policy_id() -> None:
    chosen = select_policies({"B": 0.5, "A": 0.5}, [], limit=2)
    assert [p for p, _ in chosen] == ["A", "B"]


shares = st.dictionaries(
    st.sampled_from("ABCDEFGH"), st.floats(min_value=0, max_value=1), min_size=1
)


@given(question=shares, aspects=st.lists(shares, max_size=4), limit=st.integers(1, 10))
def test_selection_is_distinct_bounded_and_gains_never_rise(
    question: dict[str, float], aspects: list[dict[str, float]], limit: int
) -> None:
    chosen = select_policies(question, aspects, limit=limit)
    policies = [p for p, _ in chosen]
    assert len(policies) == len(set(policies)) == min(limit, len(set(question).union(*aspects)))
    gains = [g for _, g in chosen]
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(gains))


def test_interleave_takes_one_per_policy_before_seconds() -> None:
    ranked = ["A1", "A2", "A3", "B1", "C1", "B2", "D1"]
    assert interleave(ranked, lambda c: c[0], ["B", "A", "C"], k=3) == ["B1", "A1", "C1"]
    assert interleave(ranked, lambda c: c[0], ["B", "A"], k=5) == ["B1", "A1", "B2", "A2", "A3"]
    assert interleave(ranked, lambda c: c[0], ["A"], k=2) == ["A1", "A2"]
    assert interleave(ranked, lambda c: c[0], ["E"], k=2) == []


def test_lexical_terms_are_stemmed_words() -> None:
    assert lexical_terms("Credits credited; 2,000 Points!") == "credit credit 2 000 point"
    assert lexical_terms("?!") == ""

"""Which policies a question needs: relevance per policy, diversified by coverage.

Pure functions (no store, no model), so the ranking rules are unit-tested on
their own. A support agent's question often joins two concerns ("how much
can I credit ... without a supervisor?"): one policy sets the cap, another
the approval threshold. Ranking chunks by similarity alone fills the top
three with sections of the policy that matches best, so the policies are
chosen first, by explicit query-aspect diversification (xQuAD, Santos et
al., WWW 2010):

* the question is split into its clauses, the *aspects*;
* for the whole question and for each aspect, every policy gets a
  probability of being what it asks about, from its best chunk's dense score
  and its best chunk's BM25 score (a softmax over policies of each, averaged);
* policies are picked greedily: relevance to the whole question, plus how
  much of each aspect a policy covers that the policies picked before it do
  not. An aspect already answered stops pulling in more of the same policy.

The temperatures and the trade-off were set on the labelled set in
``tests/data/retrieval_eval.yaml``; the README gives the figures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

PolicyScores = Mapping[str, float]
"""A score per policy id: its best chunk's score for one text."""

DENSE_TEMPERATURE = 0.01  # cosine scores of e5 sit close together (about 0.75-0.90)
LEXICAL_TEMPERATURE = 2.0  # BM25 scores spread over about 0-20
TRADE_OFF = 0.5  # weight of aspect coverage against whole-question relevance
MIN_ASPECT_WORDS = 4  # shorter clauses ("can I do it") carry no topic of their own

# Clause boundaries: punctuation followed by a space (not the comma in "2,000"),
# and the conjunctions that join two concerns in one question.
_CLAUSE_BREAK = re.compile(
    r"[,;:]\s+|[?.!]+(?:\s+|$)"
    r"|\s+(?:and|or|but|before|because|when|so|if|then|while|without)\s+",
    re.IGNORECASE,
)


def split_aspects(question: str) -> list[str]:
    """The clauses of ``question`` long enough to ask something; empty if it has one clause."""
    parts = [part.strip() for part in _CLAUSE_BREAK.split(question)]
    aspects = [part for part in parts if len(part.split()) >= MIN_ASPECT_WORDS]
    return aspects if len(aspects) > 1 else []


def relevance(dense: PolicyScores, lexical: PolicyScores) -> dict[str, float]:
    """A probability per policy that it is what the text asks about.

    The mean of a softmax over the dense scores and one over the BM25 scores;
    without any lexical match (no shared word) the dense side decides alone.
    """
    parts = [_softmax(dense, DENSE_TEMPERATURE)]
    if any(score > 0 for score in lexical.values()):
        # A policy without a shared word scores 0, not "unknown": it keeps a small share.
        every = {p: lexical.get(p, 0.0) for p in set(dense) | set(lexical)}
        parts.append(_softmax(every, LEXICAL_TEMPERATURE))
    policies = set().union(*parts)
    return {p: sum(part.get(p, 0.0) for part in parts) / len(parts) for p in policies}


def select_policies(
    question: Mapping[str, float], aspects: Sequence[Mapping[str, float]], *, limit: int
) -> list[tuple[str, float]]:
    """Up to ``limit`` policies, most useful first, each with its selection gain.

    Args:
        question: :func:`relevance` of the whole question.
        aspects: :func:`relevance` of each aspect (may be empty).
        limit: How many policies at most.

    Returns:
        ``(policy_id, gain)`` pairs; gains never increase down the list.
    """
    candidates = set(question).union(*aspects)
    uncovered = [1.0] * len(aspects)
    chosen: list[tuple[str, float]] = []
    while candidates and len(chosen) < limit:
        gains = {p: _gain(p, question, aspects, uncovered) for p in candidates}
        # Ties go to the smaller id, so the order never depends on set iteration.
        best = min(gains, key=lambda p: (-gains[p], p))
        chosen.append((best, gains[best]))
        candidates.discard(best)
        uncovered = [
            left * (1 - aspect.get(best, 0.0))
            for aspect, left in zip(aspects, uncovered, strict=True)
        ]
    return chosen


def _gain(
    policy: str,
    question: Mapping[str, float],
    aspects: Sequence[Mapping[str, float]],
    uncovered: Sequence[float],
) -> float:
    # xQuAD: relevance to the question, plus the share of each aspect that
    # this policy answers and no policy chosen before it did.
    weight = 1.0 / len(aspects) if aspects else 0.0
    coverage = sum(
        weight * aspect.get(policy, 0.0) * left
        for aspect, left in zip(aspects, uncovered, strict=True)
    )
    return (1 - TRADE_OFF) * question.get(policy, 0.0) + TRADE_OFF * coverage


def interleave(
    ranked: Iterable[T], policy_of: Callable[[T], str], order: Sequence[str], *, k: int
) -> list[T]:
    """``k`` items: the best of each policy in ``order``, then the second best of each, ...

    Args:
        ranked: Candidates, best first (their rank within a policy is kept).
        policy_of: The policy id of a candidate.
        order: Policies in the order they were chosen; others are left out.
        k: How many items at most.
    """
    per_policy: dict[str, list[T]] = {policy: [] for policy in order}
    for item in ranked:
        bucket = per_policy.get(policy_of(item))
        if bucket is not None:
            bucket.append(item)
    result: list[T] = []
    depth = 0
    while len(result) < k and any(len(bucket) > depth for bucket in per_policy.values()):
        result.extend(per_policy[p][depth] for p in order if len(per_policy[p]) > depth)
        depth += 1
    return result[:k]


def _softmax(scores: PolicyScores, temperature: float) -> dict[str, float]:
    if not scores:
        return {}
    top = max(scores.values())
    weights = {p: math.exp((s - top) / temperature) for p, s in scores.items()}
    total = sum(weights.values())
    return {p: w / total for p, w in weights.items()}

"""Policy parsing: front matter, sections, stable chunk ids, the version in force."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from loyalty.errors import ValidationError
from loyalty.policies.corpus import (
    load_policy_files,
    make_chunk_id,
    parse_policy,
    select_current,
    slugify,
)

POLICIES = Path(__file__).resolve().parents[3] / "policies"
TODAY = dt.date(2026, 11, 23)

SAMPLE = """---
id: POL-TEST-001
title: Test Policy
version: 2
effective_from: 2026-01-01
effective_to: null
applies_to: {tiers: [gold, platinum], segments: [churn_risk]}
parameters:
  cap: {bronze: 1}
---
# Test Policy

## First rule
Line one
line two.

## Approval & Budget!
Second.
"""


def test_parse_reads_front_matter_and_one_chunk_per_section() -> None:
    doc = parse_policy(SAMPLE)
    assert (doc.policy_id, doc.version, doc.title) == ("POL-TEST-001", 2, "Test Policy")
    assert doc.effective_from == dt.date(2026, 1, 1)
    assert doc.effective_to is None
    assert doc.tiers == ("gold", "platinum")
    assert doc.segments == ("churn_risk",)
    assert doc.parameters == {"cap": {"bronze": 1}}
    assert [c.chunk_id for c in doc.chunks] == [
        "POL-TEST-001@v2#first-rule",
        "POL-TEST-001@v2#approval-budget",
    ]
    assert doc.chunks[0].text == "Line one line two."
    assert doc.chunks[0].embedding_text == "Test Policy\n## First rule\nLine one line two."


def test_chunk_ids_and_hashes_are_deterministic() -> None:
    first, second = parse_policy(SAMPLE), parse_policy(SAMPLE)
    assert [c.chunk_id for c in first.chunks] == [c.chunk_id for c in second.chunks]
    assert [c.content_hash for c in first.chunks] == [c.content_hash for c in second.chunks]
    edited = parse_policy(SAMPLE.replace("Second.", "Changed."))
    assert edited.chunks[1].content_hash != first.chunks[1].content_hash


def test_slug_and_chunk_id() -> None:
    assert slugify("  Who may approve?  ") == "who-may-approve"
    assert slugify("!!!") == "section"
    assert make_chunk_id("POL-X", 3, "Thresholds by tier") == "POL-X@v3#thresholds-by-tier"


@pytest.mark.parametrize(
    "text",
    [
        "no front matter\n## A\nb",
        "---\n- a list\n---\n## A\nb",
        "---\nid: X\n---\n## A\nb",
        SAMPLE.replace("version: 2", "version: two"),
        SAMPLE.split("## First rule")[0],
        SAMPLE.replace("## Approval & Budget!", "## First rule"),
    ],
)
def test_malformed_policies_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_policy(text)


@pytest.mark.parametrize(
    "text",
    [
        SAMPLE.replace("parameters:", "search_terms: apology\nparameters:"),
        SAMPLE.replace("parameters:", "search_terms: {a: b}\nparameters:"),
        SAMPLE.replace("parameters:", "search_terms: [apology, '  ']\nparameters:"),
        SAMPLE.replace("parameters:", "search_terms: [apology, 3]\nparameters:"),
        SAMPLE.replace("parameters:", "search_terms: [Apology, apology]\nparameters:"),
        SAMPLE.replace("parameters:", f"search_terms: [{'x' * 61}]\nparameters:"),
        SAMPLE.replace("parameters:", f"search_terms: {[f't{i}' for i in range(41)]}\nparameters:"),
    ],
)
def test_bad_search_terms_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError, match="search_terms"):
        parse_policy(text)


def test_search_terms_are_searched_but_never_part_of_the_cited_text() -> None:
    text = SAMPLE.replace("parameters:", "search_terms: [apology, '  sign   off ']\nparameters:")
    doc = parse_policy(text)
    assert doc.search_terms == ("apology", "sign off")
    chunk = doc.chunks[0]
    assert chunk.search_terms == doc.search_terms
    assert chunk.text == "Line one line two."
    assert chunk.embedding_text == (
        "Test Policy\n## First rule\nLine one line two.\nAlso called: apology; sign off."
    )
    # New terms change what is embedded, so the next ingestion re-embeds the chunk.
    assert chunk.content_hash != parse_policy(SAMPLE).chunks[0].content_hash


def test_search_terms_are_optional() -> None:
    assert parse_policy(SAMPLE).search_terms == ()


def test_every_policy_in_force_lists_its_search_terms() -> None:
    # The owners keep them with each policy; a policy without them is found
    # only by its own wording (docs/retrieval.md, round three).
    current = select_current(load_policy_files(POLICIES), today=TODAY)
    assert all(len(d.search_terms) >= 5 for d in current.values())


def test_the_real_corpus_parses_with_one_archived_version() -> None:
    documents = load_policy_files(POLICIES)
    assert len(documents) == 18
    current = select_current(documents, today=TODAY)
    assert len(current) == 17
    assert current["POL-GOODWILL-001"].version == 3
    chunk_ids = [c.chunk_id for d in documents for c in d.chunks]
    assert len(chunk_ids) == len(set(chunk_ids))


def test_version_in_force_depends_on_the_day() -> None:
    documents = load_policy_files(POLICIES)
    mid_2025 = select_current(documents, today=dt.date(2025, 6, 1))
    assert mid_2025["POL-GOODWILL-001"].version == 2
    assert "POL-AGENT-001" not in mid_2025  # effective from 2026-01-01
    # effective_to is inclusive: the archived version is still in force on its last day.
    assert select_current(documents, today=dt.date(2025, 12, 31))["POL-GOODWILL-001"].version == 2

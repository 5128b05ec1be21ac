"""The policy corpus: markdown files with YAML front matter, cut into sections.

A policy file starts with front matter (``id``, ``title``, ``version``,
``effective_from``, ``effective_to``, ``applies_to``, ``search_terms``,
``parameters``) and has one chunk per ``##`` section. A chunk's id,
``{policy_id}@v{version}#{slug}``, is stable across runs and machines, so
citations and vector-store points can be matched exactly; the version inside
the id is what makes a citation of a superseded policy recognisable.

``search_terms`` are the everyday words members and agents use for what the
policy covers ("apology", "sign-off", "frequent flyer"), kept by the
policy's owner next to the rules. The policy text says "goodwill credit" and
"human-approval threshold"; a question rarely does, and neither the small
embedding model nor BM25 bridges that gap on its own (docs/retrieval.md). So
the terms are part of every chunk's searchable text, never of its cited text.

Pure parsing: reading files is :func:`load_policy_files`, everything else
works on text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from loyalty.errors import ValidationError

_FRONT_MATTER = re.compile(r"\A---\s*\n(?P<meta>.*?)\n---\s*\n(?P<body>.*)\Z", re.DOTALL)
_SECTION = re.compile(r"^## +(?P<heading>.+?)\s*$", re.MULTILINE)
_SLUG_INVALID = re.compile(r"[^a-z0-9]+")
MAX_SEARCH_TERMS = 40
MAX_SEARCH_TERM_CHARS = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyChunk:
    """One ``##`` section of one policy version: the unit that is embedded and cited."""

    chunk_id: str
    policy_id: str
    version: int
    title: str
    section: str
    text: str
    tiers: tuple[str, ...]
    segments: tuple[str, ...]
    effective_from: dt.date
    effective_to: dt.date | None
    search_terms: tuple[str, ...] = ()

    @property
    def embedding_text(self) -> str:
        """What is embedded and indexed for BM25.

        Title and heading give a bare section its context; the policy's
        search terms add the words questions use for its subjects.
        """
        text = f"{self.title}\n## {self.section}\n{self.text}"
        if self.search_terms:
            text += "\nAlso called: " + "; ".join(self.search_terms) + "."
        return text

    @property
    def content_hash(self) -> str:
        """Changes when anything embedded or filtered on changes; makes re-ingestion a no-op."""
        parts = (self.embedding_text, ",".join(self.tiers), ",".join(self.segments))
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyDocument:
    """One version of one policy, as parsed from its file."""

    policy_id: str
    title: str
    version: int
    effective_from: dt.date
    effective_to: dt.date | None
    tiers: tuple[str, ...]
    segments: tuple[str, ...]
    parameters: Mapping[str, Any]
    chunks: tuple[PolicyChunk, ...]
    search_terms: tuple[str, ...] = ()
    source: str

    def in_force_on(self, day: dt.date) -> bool:
        """True if ``day`` lies within the effective dates (both inclusive)."""
        ends_after = self.effective_to is None or self.effective_to >= day
        return self.effective_from <= day and ends_after


def slugify(text: str) -> str:
    """ASCII words joined by hyphens: ``"Approval and budget"`` -> ``approval-and-budget``."""
    return _SLUG_INVALID.sub("-", text.lower()).strip("-") or "section"


def make_chunk_id(policy_id: str, version: int, section: str) -> str:
    return f"{policy_id}@v{version}#{slugify(section)}"


def parse_policy(text: str, *, source: str = "<string>") -> PolicyDocument:
    """Parse one policy file's text.

    Args:
        text: The whole file.
        source: Where it came from, for error messages and the summary.

    Raises:
        ValidationError: Missing front matter, fields or sections.
    """
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise ValidationError(f"{source}: no YAML front matter")
    meta = yaml.safe_load(match["meta"])
    if not isinstance(meta, dict):
        raise ValidationError(f"{source}: front matter is not a mapping")
    header = _parse_header(meta, source=source)
    sections = _split_sections(match["body"])
    if not sections:
        raise ValidationError(f"{source}: no '## ' sections")
    chunks = tuple(_make_chunk(header, heading, body) for heading, body in sections)
    _require_unique_chunk_ids(chunks, source=source)
    return PolicyDocument(**header, chunks=chunks, source=source)


def load_policy_files(root: Path) -> list[PolicyDocument]:
    """Parse every ``*.md`` file under ``root`` (recursively, archive included), sorted by path."""
    paths = [root] if root.is_file() else sorted(root.rglob("*.md"))
    return [parse_policy(path.read_text(encoding="utf-8"), source=str(path)) for path in paths]


def select_current(
    documents: Iterable[PolicyDocument], *, today: dt.date
) -> dict[str, PolicyDocument]:
    """The version in force of each policy id: the highest version in force on ``today``."""
    current: dict[str, PolicyDocument] = {}
    for document in documents:
        if not document.in_force_on(today):
            continue
        best = current.get(document.policy_id)
        if best is None or document.version > best.version:
            current[document.policy_id] = document
    return current


def _parse_header(meta: dict[str, Any], *, source: str) -> dict[str, Any]:
    try:
        applies_to = meta.get("applies_to") or {}
        return {
            "policy_id": str(meta["id"]),
            "title": str(meta["title"]),
            "version": _as_int(meta["version"], name="version"),
            "effective_from": _as_date(meta["effective_from"], name="effective_from"),
            "effective_to": _as_optional_date(meta.get("effective_to")),
            "tiers": tuple(str(t) for t in applies_to.get("tiers", ())),
            "segments": tuple(str(s) for s in applies_to.get("segments", ("all",))),
            "parameters": dict(meta.get("parameters") or {}),
            "search_terms": _as_search_terms(meta.get("search_terms")),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"{source}: bad front matter ({exc})") from exc


def _as_int(value: object, *, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer")
    return value


def _as_date(value: object, *, name: str) -> dt.date:
    # YAML loads an unquoted 2026-01-01 as datetime.date; accept ISO strings too.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ValueError(f"{name} must be a date")


def _as_search_terms(value: object) -> tuple[str, ...]:
    # Optional (archived versions predate it); when given, a short list of
    # distinct short phrases, so a typo in YAML (a mapping, a bare string, an
    # empty item) fails the ingestion instead of indexing nonsense.
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("search_terms must be a list of phrases")
    if len(value) > MAX_SEARCH_TERMS:
        raise ValueError(f"search_terms has more than {MAX_SEARCH_TERMS} phrases")
    terms: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"search_terms: {item!r} is not a non-empty phrase")
        term = " ".join(item.split())
        if len(term) > MAX_SEARCH_TERM_CHARS:
            raise ValueError(f"search_terms: {term!r} is longer than {MAX_SEARCH_TERM_CHARS}")
        if term.casefold() in {t.casefold() for t in terms}:
            raise ValueError(f"search_terms: {term!r} is listed twice")
        terms.append(term)
    return tuple(terms)


def _as_optional_date(value: object) -> dt.date | None:
    return None if value is None else _as_date(value, name="effective_to")


def _split_sections(body: str) -> list[tuple[str, str]]:
    """``(heading, text)`` per ``##`` section; the ``#`` title above them is dropped."""
    matches = list(_SECTION.finditer(body))
    sections = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        text = " ".join(body[match.end() : end].split())
        if text:
            sections.append((match["heading"].strip(), text))
    return sections


def _make_chunk(header: dict[str, Any], heading: str, text: str) -> PolicyChunk:
    return PolicyChunk(
        chunk_id=make_chunk_id(header["policy_id"], header["version"], heading),
        policy_id=header["policy_id"],
        version=header["version"],
        title=header["title"],
        section=heading,
        text=text,
        tiers=header["tiers"],
        segments=header["segments"],
        effective_from=header["effective_from"],
        effective_to=header["effective_to"],
        search_terms=header["search_terms"],
    )


def _require_unique_chunk_ids(chunks: tuple[PolicyChunk, ...], *, source: str) -> None:
    seen: set[str] = set()
    for chunk in chunks:
        if chunk.chunk_id in seen:
            raise ValidationError(f"{source}: two sections share the id {chunk.chunk_id}")
        seen.add(chunk.chunk_id)

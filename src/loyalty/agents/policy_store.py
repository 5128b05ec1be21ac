"""The policy vector store: chunks, their vectors and payloads in Qdrant.

Embedded local mode (``QdrantClient(path=...)``) by default, a server when
``QDRANT_URL`` is set. Local mode holds a file lock: one process per path, so
every access belongs in the worker (see ARCHITECTURE.md).

Why qdrant-client directly and not Semantic Kernel's Qdrant connector: with
the pinned pair (semantic-kernel 1.45, qdrant-client 1.20) the connector's
vector search calls ``AsyncQdrantClient.search``, which qdrant-client removed
in 1.16; every search fails with ``VectorSearchExecutionException`` (proven by
``tests/integration/agents/test_sk_qdrant_connector.py``, which will start
failing, on purpose, once a fixed connector is pinned). ``query_points`` is
the supported API. The store is small and synchronous, which also suits sync
Temporal activities; Semantic Kernel still drives the agent (see kernel.py),
reaching this store through the policy-search plugin.

One point per chunk; the point id is a uuid5 of the chunk id, so an upsert of
the same chunk overwrites it instead of duplicating it. Besides its vector, a
point carries its lexical form (``terms``, see lexical.py) under a text index
with BM25 scoring, so Qdrant ranks by words as well as by meaning, keeps the
BM25 statistics in step with every upsert and delete, and fuses the two
rankings itself (reciprocal rank fusion). That needs Qdrant 1.20 or later, as
server and as client; the client's local mode has it too.

The worker shares one store among its activity threads; local mode has no
locking of its own, so every client call holds the store's lock (searches
take milliseconds, so this costs little against a server either).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from qdrant_client import QdrantClient, models

from loyalty.agents.embeddings import Vector
from loyalty.agents.lexical import lexical_terms
from loyalty.config import Settings
from loyalty.errors import UnavailableError, ValidationError
from loyalty.policies.corpus import PolicyChunk

COLLECTION = "policy_chunks"
TERMS_FIELD = "terms"
# Bumped when what a point stores changes; a point of an older format is
# reported as changed, so the next ingestion rewrites it (format 2 added terms).
_POINT_FORMAT = 2
_MAX_POLICIES = 64
_TEXT_INDEX = models.TextIndexParams(
    type=models.TextIndexType.TEXT,
    tokenizer=models.TokenizerType.WORD,
    lowercase=True,
    scoring=True,
)
_POINT_NAMESPACE = uuid.UUID("6c0e7a52-3f0b-5d55-9d6c-4c6f79616c74")
_OPEN_ENDED_DAY = 9999_12_31


def point_id(chunk_id: str) -> str:
    """The Qdrant point id of a chunk: deterministic, so upserts are idempotent."""
    return str(uuid.uuid5(_POINT_NAMESPACE, chunk_id))


def _day_number(day: dt.date | None) -> int:
    # Dates as YYYYMMDD integers so Qdrant can range-filter them.
    return _OPEN_ENDED_DAY if day is None else day.year * 10000 + day.month * 100 + day.day


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredChunk:
    """What the store holds about a chunk, without its text or vector."""

    chunk_id: str
    policy_id: str
    version: int
    content_hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkHit:
    """One search result."""

    chunk_id: str
    policy_id: str
    version: int
    title: str
    section: str
    text: str
    tiers: tuple[str, ...]
    score: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchFilter:
    """Optional narrowing of a search; ``None`` fields do not filter.

    Attributes:
        policy_ids: Only these policies.
        tier: Only chunks whose policy applies to this tier.
        segment: Only chunks for this segment or for ``all``.
    """

    policy_ids: frozenset[str] | None = None
    tier: str | None = None
    segment: str | None = None


class PolicyStore:
    """Policy chunks in one Qdrant collection.

    Args:
        client: An open Qdrant client (local or server).
        dimension: Vector size, from the embedder.
        collection: Collection name.
    """

    def __init__(
        self, client: QdrantClient, *, dimension: int, collection: str = COLLECTION
    ) -> None:
        self._client = client
        self._dimension = dimension
        self.collection = collection
        self._guard = threading.RLock()
        self._ensure_collection()

    @classmethod
    def from_settings(cls, settings: Settings, *, dimension: int) -> PolicyStore:
        """A server client if ``settings.qdrant_url`` is set, else local mode at ``qdrant_path``."""
        if settings.qdrant_url:
            return cls(QdrantClient(url=settings.qdrant_url), dimension=dimension)
        settings.qdrant_path.mkdir(parents=True, exist_ok=True)
        return cls(QdrantClient(path=str(settings.qdrant_path)), dimension=dimension)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PolicyStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _ensure_collection(self) -> None:
        try:
            if not self._client.collection_exists(self.collection):
                self._client.create_collection(
                    self.collection,
                    vectors_config=models.VectorParams(
                        size=self._dimension, distance=models.Distance.COSINE
                    ),
                )
            # A server lists its indexes; local mode lists none and re-creating is a no-op.
            schema = self._client.get_collection(self.collection).payload_schema
            if TERMS_FIELD not in schema:
                self._client.create_payload_index(
                    self.collection, TERMS_FIELD, field_schema=_TEXT_INDEX, wait=True
                )
        except Exception as exc:  # qdrant raises many transport types; all mean "down"
            raise UnavailableError(f"Qdrant unavailable: {exc}") from exc

    def upsert(self, chunks: Sequence[PolicyChunk], vectors: Sequence[Vector]) -> int:
        """Write chunks with their vectors; returns how many were written."""
        if len(chunks) != len(vectors):
            raise ValidationError("one vector per chunk is required")
        points = [
            models.PointStruct(id=point_id(c.chunk_id), vector=list(v), payload=_payload(c))
            for c, v in zip(chunks, vectors, strict=True)
        ]
        if points:
            with self._guard:
                self._client.upsert(self.collection, points=points, wait=True)
        return len(points)

    def delete(self, chunk_ids: Sequence[str]) -> int:
        """Remove chunks by id; returns how many ids were asked for."""
        if chunk_ids:
            selector = models.PointIdsList(points=[point_id(c) for c in chunk_ids])
            with self._guard:
                self._client.delete(self.collection, points_selector=selector, wait=True)
        return len(chunk_ids)

    def list_chunks(self, *, policy_id: str | None = None) -> list[StoredChunk]:
        """Every stored chunk (optionally of one policy), without text or vectors."""
        query_filter = _match("policy_id", policy_id) if policy_id else None
        return [
            StoredChunk(
                chunk_id=p["chunk_id"],
                policy_id=p["policy_id"],
                version=p["version"],
                content_hash=p["content_hash"] if p.get("format") == _POINT_FORMAT else "",
            )
            for p in self._scroll(query_filter)
        ]

    def search(
        self,
        query_vector: Vector,
        text: str,
        *,
        k: int,
        today: dt.date,
        filters: SearchFilter | None = None,
    ) -> list[ChunkHit]:
        """The ``k`` best chunks in force on ``today``, best first.

        Dense similarity to ``query_vector`` and BM25 on ``text`` each rank
        the candidates; Qdrant fuses the two rankings by reciprocal rank.
        """
        limit = max(k, 2 * _MAX_POLICIES)
        prefetch = [models.Prefetch(query=list(query_vector), limit=limit)]
        words = _text_query(text)
        if words is not None:
            prefetch.append(models.Prefetch(query=words, using=TERMS_FIELD, limit=limit))
        with self._guard:
            response = self._client.query_points(
                self.collection,
                prefetch=prefetch,
                query=models.FusionQuery(fusion=models.Fusion.RRF),
                query_filter=_search_filter(filters or SearchFilter(), today),
                limit=k,
                with_payload=True,
            )
        return [_hit(point.payload or {}, point.score) for point in response.points]

    def best_per_policy(
        self,
        query_vector: Vector,
        text: str,
        *,
        today: dt.date,
        filters: SearchFilter | None = None,
    ) -> tuple[dict[str, float], dict[str, float]]:
        """Each policy's best chunk score: by dense similarity, and by BM25 on ``text``.

        Policies with no word of ``text`` are absent from the BM25 side.
        """
        query_filter = _search_filter(filters or SearchFilter(), today)
        dense = self._group_scores(list(query_vector), None, query_filter)
        words = _text_query(text)
        lexical = {} if words is None else self._group_scores(words, TERMS_FIELD, query_filter)
        return dense, lexical

    def _group_scores(
        self, query: Any, using: str | None, query_filter: models.Filter
    ) -> dict[str, float]:
        with self._guard:
            result = self._client.query_points_groups(
                self.collection,
                group_by="policy_id",
                query=query,
                using=using,
                query_filter=query_filter,
                limit=_MAX_POLICIES,
                group_size=1,
                with_payload=False,
            )
        return {str(group.id): group.hits[0].score for group in result.groups if group.hits}

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[ChunkHit]:
        """Stored chunks by id (score 0), in the order asked; unknown ids are left out."""
        if not chunk_ids:
            return []
        with self._guard:
            points = self._client.retrieve(
                self.collection, ids=[point_id(c) for c in chunk_ids], with_payload=True
            )
        found = {p.payload["chunk_id"]: _hit(p.payload, 0.0) for p in points if p.payload}
        return [found[c] for c in chunk_ids if c in found]

    def _scroll(self, query_filter: models.Filter | None) -> Iterator[dict[str, Any]]:
        offset: Any = None
        while True:
            with self._guard:
                points, offset = self._client.scroll(
                    self.collection,
                    scroll_filter=query_filter,
                    limit=256,
                    offset=offset,
                    with_payload=True,
                    with_vectors=False,
                )
            for point in points:
                yield point.payload or {}
            if offset is None:
                return


def _payload(chunk: PolicyChunk) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id,
        "policy_id": chunk.policy_id,
        "version": chunk.version,
        "title": chunk.title,
        "section": chunk.section,
        "text": chunk.text,
        "tiers": list(chunk.tiers),
        "segments": list(chunk.segments),
        "effective_from": chunk.effective_from.isoformat(),
        "effective_to": chunk.effective_to.isoformat() if chunk.effective_to else None,
        "effective_from_day": _day_number(chunk.effective_from),
        "effective_to_day": _day_number(chunk.effective_to),
        "content_hash": chunk.content_hash,
        "format": _POINT_FORMAT,
        TERMS_FIELD: lexical_terms(chunk.embedding_text),
    }


def _hit(payload: dict[str, Any], score: float) -> ChunkHit:
    return ChunkHit(
        chunk_id=payload["chunk_id"],
        policy_id=payload["policy_id"],
        version=payload["version"],
        title=payload["title"],
        section=payload["section"],
        text=payload["text"],
        tiers=tuple(payload["tiers"]),
        score=float(score),
    )


def _text_query(text: str) -> models.TextQuery | None:
    # None when the text has no word at all: there is nothing for BM25 to rank.
    terms = lexical_terms(text)
    return models.TextQuery(text=terms) if terms else None


def _match(key: str, value: str) -> models.Filter:
    return models.Filter(
        must=[models.FieldCondition(key=key, match=models.MatchValue(value=value))]
    )


def _search_filter(filters: SearchFilter, today: dt.date) -> models.Filter:
    day = _day_number(today)
    must: list[models.Condition] = [
        models.FieldCondition(key="effective_from_day", range=models.Range(lte=day)),
        models.FieldCondition(key="effective_to_day", range=models.Range(gte=day)),
    ]
    if filters.policy_ids is not None:
        ids = sorted(filters.policy_ids)
        must.append(models.FieldCondition(key="policy_id", match=models.MatchAny(any=ids)))
    if filters.tier is not None:
        must.append(models.FieldCondition(key="tiers", match=models.MatchValue(value=filters.tier)))
    if filters.segment is not None:
        segments = sorted({filters.segment, "all"})
        must.append(models.FieldCondition(key="segments", match=models.MatchAny(any=segments)))
    return models.Filter(must=must)

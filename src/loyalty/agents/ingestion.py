"""Load the policy corpus into the vector store, keeping only versions in force.

For each policy id found under the corpus path, the version in force today is
the only one the store may hold afterwards: its chunks are embedded and
upserted unless the store already has exactly them (same chunk ids and content
hashes), and every other stored version of that policy is deleted. Running it
twice changes nothing the second time, which makes it safe as a retried
Temporal activity (pass ``progress`` to heartbeat).

Policy ids that do not appear under the path are left alone, so ingesting a
single file or folder only touches the policies it contains.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from loyalty.agents.embeddings import Embedder
from loyalty.agents.policy_store import PolicyStore
from loyalty.policies.corpus import PolicyDocument, load_policy_files, select_current

ProgressCallback = Callable[[int, int, str], None]
"""Called after each policy id with ``(done, total, policy_id)``."""


@dataclass(slots=True, kw_only=True)
class IngestionSummary:
    """What one ingestion did; plain ints and strings so it serialises as JSON.

    Attributes:
        documents: Policy files parsed (every version, archive included).
        current: Policy ids with a version in force.
        chunks_upserted: Chunks embedded and written.
        chunks_unchanged: Chunks already stored identically (skipped).
        chunks_superseded: Stored chunks of other versions that were deleted.
        skipped: ``policy_id@vN`` of files not in force (archived, older or future).
    """

    documents: int = 0
    current: int = 0
    chunks_upserted: int = 0
    chunks_unchanged: int = 0
    chunks_superseded: int = 0
    skipped: list[str] = field(default_factory=list)


def ingest_policies(
    path: Path,
    *,
    store: PolicyStore,
    embedder: Embedder,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
) -> IngestionSummary:
    """Make the store hold exactly the versions in force of the policies under ``path``.

    Args:
        path: A policy file or a folder (searched recursively, archive included).
        store: The vector store to update.
        embedder: Embeds chunk texts as passages.
        today: The day that decides which version is in force (default: today, UTC).
        progress: Optional callback after each policy id.

    Returns:
        Counts of what changed, and the versions skipped.
    """
    day = today or dt.datetime.now(dt.UTC).date()
    documents = load_policy_files(path)
    current = select_current(documents, today=day)
    summary = IngestionSummary(documents=len(documents), current=len(current))
    summary.skipped = sorted(
        f"{d.policy_id}@v{d.version}" for d in documents if current.get(d.policy_id) is not d
    )
    policy_ids = sorted({d.policy_id for d in documents})
    for done, policy_id in enumerate(policy_ids, start=1):
        known = [d for d in documents if d.policy_id == policy_id]
        _sync_policy(policy_id, current.get(policy_id), known, store, embedder, summary)
        if progress is not None:
            progress(done, len(policy_ids), policy_id)
    return summary


def _sync_policy(
    policy_id: str,
    document: PolicyDocument | None,
    known: Sequence[PolicyDocument],
    store: PolicyStore,
    embedder: Embedder,
    summary: IngestionSummary,
) -> None:
    stored = store.list_chunks(policy_id=policy_id)
    if document is None:
        # No version in force: remove the stored versions the files say have ended;
        # versions the files do not mention are not ours to judge.
        ended = {d.version for d in known}
        summary.chunks_superseded += store.delete(
            [s.chunk_id for s in stored if s.version in ended]
        )
        return
    wanted = {c.chunk_id: c for c in document.chunks}
    have = {s.chunk_id: s.content_hash for s in stored}
    stale = [s.chunk_id for s in stored if s.chunk_id not in wanted]
    changed = [c for c in document.chunks if have.get(c.chunk_id) != c.content_hash]
    if changed:
        vectors = embedder.embed_passages([c.embedding_text for c in changed])
        summary.chunks_upserted += store.upsert(changed, vectors)
    summary.chunks_unchanged += len(wanted) - len(changed)
    summary.chunks_superseded += store.delete(stale)

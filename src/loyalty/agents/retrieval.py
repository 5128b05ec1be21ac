"""Policy retrieval: a question in, the best current policy chunks out.

Both proposers use this, and whatever it returns for a case is what the
case's citations are checked against, so it returns the chunk ids and
versions as well as the text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from loyalty.agents.embeddings import Embedder
from loyalty.agents.policy_store import PolicyStore, SearchFilter
from loyalty.agents.proposal import RetrievedChunk
from loyalty.errors import ValidationError

MAX_K = 20

__all__ = ["MAX_K", "PolicyRetriever", "RetrievedChunk"]


class PolicyRetriever:
    """Embeds a question as a query and searches the store.

    Args:
        store: The policy vector store.
        embedder: The same model family the chunks were embedded with.
        clock: Source of today's date, which decides what is in force.
    """

    def __init__(
        self,
        *,
        store: PolicyStore,
        embedder: Embedder,
        clock: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date(),
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._clock = clock

    def retrieve(
        self, question: str, *, k: int = 3, filters: SearchFilter | None = None
    ) -> list[RetrievedChunk]:
        """The ``k`` most relevant chunks in force today, best first.

        Args:
            question: Natural-language question.
            k: How many chunks (1 to ``MAX_K``).
            filters: Optional policy / tier / segment narrowing.
        """
        if not question.strip():
            raise ValidationError("question must not be empty")
        if not 1 <= k <= MAX_K:
            raise ValidationError(f"k must be between 1 and {MAX_K}, got {k}")
        vector = self._embedder.embed_query(question)
        hits = self._store.search(vector, k=k, today=self._clock(), filters=filters)
        return [
            RetrievedChunk(
                chunk_id=h.chunk_id,
                policy_id=h.policy_id,
                version=h.version,
                title=h.title,
                section=h.section,
                text=h.text,
                score=h.score,
            )
            for h in hits
        ]

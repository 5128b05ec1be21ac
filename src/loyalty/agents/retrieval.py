"""Policy retrieval: a question in, the best current policy chunks out.

Both proposers use this, and whatever it returns for a case is what the
case's citations are checked against, so it returns the chunk ids and
versions as well as the text.

A question may need several policies, so the top ``k`` are not simply the
``k`` most similar chunks. Three steps:

1. Qdrant ranks the chunks twice, by dense similarity of the e5 embedding
   and by BM25 on the stemmed words, and fuses the two rankings (reciprocal
   rank fusion): the candidates, best first.
2. The policies are chosen for coverage of the question and of each of its
   clauses (:mod:`loyalty.agents.coverage`), from each policy's best dense
   and best BM25 score (Qdrant groups the hits by policy).
3. The result takes the best candidate of each chosen policy in turn, then
   the second best of each, and so on, so ``k`` chunks span ``k`` policies
   whenever that many are in scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from loyalty.agents.coverage import interleave, relevance, select_policies, split_aspects
from loyalty.agents.embeddings import Embedder
from loyalty.agents.policy_store import ChunkHit, PolicyStore, SearchFilter
from loyalty.agents.proposal import RetrievedChunk
from loyalty.errors import ValidationError

MAX_K = 20
# Fused candidates fetched per question, from which each chosen policy's best
# chunks are taken. The corpus has 82 chunks in 17 policies, so every chunk is
# a candidate; a corpus many times larger needs this raised, or a chosen
# policy whose chunks all rank lower is left out of the result.
CANDIDATES = 128

__all__ = ["MAX_K", "PolicyRetriever", "RetrievedChunk"]


class PolicyRetriever:
    """Embeds a question as a query, searches the store and diversifies by policy.

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
        """``k`` relevant chunks in force today, spread over the policies the question needs.

        Args:
            question: Natural-language question.
            k: How many chunks (1 to ``MAX_K``).
            filters: Optional policy / tier / segment narrowing.

        Returns:
            Chunks in the order the policies were chosen; ``score`` is the
            chunk's fused (dense + BM25) relevance, so it need not decrease.
        """
        if not question.strip():
            raise ValidationError("question must not be empty")
        if not 1 <= k <= MAX_K:
            raise ValidationError(f"k must be between 1 and {MAX_K}, got {k}")
        today = self._clock()
        texts = [question, *split_aspects(question)]
        vectors = self._embedder.embed_queries(texts)
        candidates = self._store.search(
            vectors[0], question, k=CANDIDATES, today=today, filters=filters
        )
        whole, *aspects = [
            relevance(*self._store.best_per_policy(vector, text, today=today, filters=filters))
            for text, vector in zip(texts, vectors, strict=True)
        ]
        order = [policy for policy, _ in select_policies(whole, aspects, limit=k)]
        hits = interleave(candidates, _policy_of, order, k=k)
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


def _policy_of(hit: ChunkHit) -> str:
    return hit.policy_id

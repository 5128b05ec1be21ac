"""Semantic Kernel wiring: the chat service from settings and a kernel per case.

Any OpenAI-compatible endpoint works: OpenAI itself, Azure OpenAI through its
``/openai/v1`` base URL, or a local server such as Ollama through
``OPENAI_BASE_URL`` (a local server needs no key; a placeholder is sent).
The kernel is cheap to build, and building one per case keeps each case's
plugins bound to its own member and its own retrieval record.
"""

from __future__ import annotations

from openai import AsyncOpenAI
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase
from semantic_kernel.connectors.ai.open_ai import OpenAIChatCompletion

from loyalty.agents.context import MemberContextSource
from loyalty.agents.plugins import CatalogPlugin, MemberPlugin, PolicyPlugin, RetrievalRecorder
from loyalty.agents.retrieval import PolicyRetriever
from loyalty.config import Settings

CHAT_SERVICE_ID = "proposer-chat"
_NO_KEY = "not-needed"


def chat_model_configured(settings: Settings) -> bool:
    """True when a model is named and there is a key or a (keyless, local) base URL."""
    return bool(settings.openai_model and (settings.openai_api_key or settings.openai_base_url))


def build_chat_service(
    settings: Settings, *, client: AsyncOpenAI | None = None
) -> ChatCompletionClientBase | None:
    """The configured chat service, or ``None`` when no model is configured.

    Args:
        settings: Reads ``openai_model``, ``openai_api_key``, ``openai_base_url``.
        client: An explicit OpenAI client (tests point one at an in-process fake).
    """
    if not chat_model_configured(settings) or settings.openai_model is None:
        return None
    if client is None:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else _NO_KEY
        client = AsyncOpenAI(api_key=key, base_url=settings.openai_base_url)
    return OpenAIChatCompletion(
        ai_model_id=settings.openai_model, async_client=client, service_id=CHAT_SERVICE_ID
    )


def build_kernel(
    *,
    chat_service: ChatCompletionClientBase,
    source: MemberContextSource,
    retriever: PolicyRetriever,
    member_id: str,
    recorder: RetrievalRecorder,
) -> Kernel:
    """A kernel for one case: the chat service plus member, catalog and policy plugins."""
    kernel = Kernel()
    kernel.add_service(chat_service)
    kernel.add_plugin(MemberPlugin(source, member_id), plugin_name="member")
    kernel.add_plugin(CatalogPlugin(source, member_id), plugin_name="catalog")
    kernel.add_plugin(PolicyPlugin(retriever, recorder), plugin_name="policies")
    return kernel

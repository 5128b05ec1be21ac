"""Policy ingestion as an activity: the worker owns the vector store, so ingestion runs here.

The activity heartbeats ``IngestProgress`` after each policy id: Temporal
retries it from scratch if the worker dies (ingestion is idempotent, so a
rerun only does what is left), and callers read the progress from the pending
activity's heartbeat details.
"""

from __future__ import annotations

from dataclasses import asdict

from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.agents.ingestion import ingest_policies
from loyalty.agents.runtime import AgentRuntime
from loyalty.contracts.ingestion import (
    INGEST_POLICIES,
    IngestionSummary,
    IngestPolicies,
    IngestProgress,
)


class PolicyActivities:
    def __init__(self, *, runtime: AgentRuntime) -> None:
        self._runtime = runtime

    @activity.defn(name=INGEST_POLICIES)
    @business_errors
    def ingest_policies(self, request: IngestPolicies) -> IngestionSummary:
        path = self._runtime.policies.path_inside(request.path)
        activity.heartbeat(IngestProgress(done=0, total=0, policy_id=""))

        def progress(done: int, total: int, policy_id: str) -> None:
            activity.heartbeat(IngestProgress(done=done, total=total, policy_id=policy_id))

        summary = ingest_policies(
            path, store=self._runtime.store, embedder=self._runtime.embedder, progress=progress
        )
        return IngestionSummary(**asdict(summary))

"""IngestPolicies: load the policy corpus into the vector store, through Temporal.

The CLI and the API trigger ingestion here instead of opening the store
themselves (embedded Qdrant locks its folder for the worker process). One
activity does the work and heartbeats ``IngestProgress`` after each policy;
``state`` reports the outcome. By convention the workflow id is
``policy-ingestion`` and starters use the conflict policy USE_EXISTING, so
concurrent requests share one run.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts.ingestion import (
        INGEST_POLICIES,
        INGEST_WORKFLOW,
        QUERY_STATE,
        IngestionState,
        IngestionSummary,
        IngestPolicies,
        IngestRequest,
    )
    from loyalty.workflows.activity_errors import reason_of
    from loyalty.workflows.options import INGEST


@workflow.defn(name=INGEST_WORKFLOW)
class PolicyIngestionWorkflow:
    @workflow.init
    def __init__(self, request: IngestRequest) -> None:
        self._state = IngestionState(
            path=request.path, requested_by=request.requested_by, started_at=workflow.now()
        )

    @workflow.run
    async def run(self, request: IngestRequest) -> IngestionState:
        try:
            summary = await workflow.execute_activity(
                INGEST_POLICIES,
                IngestPolicies(path=request.path),
                result_type=IngestionSummary,
                **INGEST.kwargs(),
            )
        except ActivityError as error:
            self._state.status, self._state.error = "failed", reason_of(error)
            self._state.finished_at = workflow.now()
            raise ApplicationError(
                f"policy ingestion failed: {self._state.error}",
                type="ingestion_failed",
                non_retryable=True,
            ) from error
        self._state.status, self._state.summary = "completed", summary
        self._state.finished_at = workflow.now()
        return self._state

    @workflow.query(name=QUERY_STATE)
    def state(self) -> IngestionState:
        return self._state

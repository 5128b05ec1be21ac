"""Wire contracts of the IngestPolicies workflow and its activity.

IngestPolicies (id ``policy-ingestion`` by convention, one at a time): input
``IngestRequest``; result and query ``state`` -> ``IngestionState``. The
activity of the same name heartbeats ``IngestProgress`` after each policy.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from loyalty.contracts.base import Contract, Identifier, MutableContract

INGEST_WORKFLOW = "IngestPolicies"
INGEST_WORKFLOW_ID = "policy-ingestion"
INGEST_POLICIES = "IngestPolicies"
QUERY_STATE = "state"


class IngestRequest(Contract):
    """Input of IngestPolicies; ``path`` must lie inside the worker's policies folder."""

    path: str | None = None
    requested_by: Identifier = "operator"


class IngestionSummary(Contract):
    documents: int
    current: int
    chunks_upserted: int
    chunks_unchanged: int
    chunks_superseded: int
    skipped: list[str] = Field(default_factory=list)


class IngestionState(MutableContract):
    """Progress is in the activity's heartbeats (``IngestProgress``); this is the outcome."""

    status: Literal["running", "completed", "failed"] = "running"
    path: str | None = None
    requested_by: str = "operator"
    summary: IngestionSummary | None = None
    error: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class IngestProgress(Contract):
    """Heartbeat details of the IngestPolicies activity, after each policy id."""

    done: int
    total: int
    policy_id: str


class IngestPolicies(Contract):
    """Input of the IngestPolicies activity."""

    path: str | None = None

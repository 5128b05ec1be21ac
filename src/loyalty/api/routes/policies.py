"""The policy corpus: what is in force (anyone authenticated) and re-ingestion (operators).

The API reads the policy files (``loyalty.policies``) but never opens the vector
store: ingestion runs in the worker (the one process holding the embedded
Qdrant lock) as a workflow.
"""

from __future__ import annotations

from fastapi.concurrency import run_in_threadpool
from temporalio.common import WorkflowIDReusePolicy

from loyalty.api import audit
from loyalty.api.access import allow
from loyalty.api.assisted_schemas import IngestionAccepted, PoliciesPublic, PolicyPublic
from loyalty.api.auth import PEOPLE, Role
from loyalty.api.deps import GatewayDep, PrincipalDep, StateDep
from loyalty.api.paging import KeysetCursor, Limit, window
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.contracts import ingestion as ing

router = gated_router(prefix="/v1/policies", tags=["policies"])


@router.get(
    "",
    operation_id="policies.list",
    response_model=PoliciesPublic,
    summary="Policies in force today",
    responses=errors(*AUTHENTICATED),
    openapi_extra=allow(*PEOPLE),
)
async def list_policies(
    principal: PrincipalDep, state: StateDep, cursor: KeysetCursor = None, limit: Limit = 100
) -> PoliciesPublic:
    def read() -> PoliciesPublic:
        current = state.policies.in_force()
        docs, next_cursor = window(
            sorted(current.values(), key=lambda d: d.policy_id),
            cursor,
            limit,
            key=lambda d: (d.policy_id,),
        )
        return PoliciesPublic(
            next_cursor=next_cursor,
            data=[
                PolicyPublic(
                    policy_id=doc.policy_id,
                    title=doc.title,
                    version=doc.version,
                    effective_from=doc.effective_from,
                    effective_to=doc.effective_to,
                    tiers=list(doc.tiers),
                    sections=[chunk.section for chunk in doc.chunks],
                )
                for doc in docs
            ],
        )

    return await run_in_threadpool(read)


@router.post(
    "/ingest",
    operation_id="policies.ingest",
    status_code=202,
    response_model=IngestionAccepted,
    summary="Re-ingest the policy folder (idempotent; supersedes old versions)",
    responses=errors(*AUTHENTICATED, 409),
    openapi_extra=allow(Role.OPERATOR),
)
async def ingest(
    principal: PrincipalDep, state: StateDep, gateway: GatewayDep
) -> IngestionAccepted:
    request = ing.IngestRequest(requested_by=principal.subject)
    outcome = await gateway.execute(
        ing.INGEST_WORKFLOW,
        request,
        ing.INGEST_WORKFLOW_ID,
        result_type=ing.IngestionState,
        reuse=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    await run_in_threadpool(
        audit.record,
        state.sessions,
        principal,
        action="policies.ingest",
        target=ing.INGEST_WORKFLOW_ID,
    )
    return IngestionAccepted(workflow_id=ing.INGEST_WORKFLOW_ID, state=outcome)

"""Liveness (``/healthz``, needs nothing) and readiness (``/readyz``: PostgreSQL, Temporal)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from loyalty.api.access import PUBLIC
from loyalty.api.deps import StateDep
from loyalty.api.routes import gated_router
from loyalty.api.schemas import Health, Readiness

router = gated_router(tags=["health"])
_TIMEOUT_S = 3.0


@router.get(
    "/healthz",
    operation_id="health.live",
    response_model=Health,
    summary="Liveness",
    openapi_extra=PUBLIC,
)
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="health.ready",
    response_model=Readiness,
    summary="Readiness: PostgreSQL and Temporal reachable",
    responses={503: {"model": Readiness, "description": "A dependency is down."}},
    openapi_extra=PUBLIC,
)
async def readyz(state: StateDep) -> JSONResponse:
    checks = {"postgres": await _postgres(state), "temporal": await _temporal(state)}
    ready = all(value == "ok" for value in checks.values())
    body = Readiness(status="ready" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


async def _postgres(state: StateDep) -> str:
    def ping() -> None:
        with state.sessions() as session:
            session.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(run_in_threadpool(ping), _TIMEOUT_S)
    except Exception as error:  # readiness reports any failure, it never raises
        return f"error: {type(error).__name__}"
    return "ok"


async def _temporal(state: StateDep) -> str:
    try:
        client = await asyncio.wait_for(state.temporal(), _TIMEOUT_S)
        await client.workflow_service.get_system_info(
            GetSystemInfoRequest(), timeout=timedelta(seconds=_TIMEOUT_S)
        )
    except Exception as error:  # readiness reports any failure, it never raises
        return f"error: {type(error).__name__}"
    return "ok"

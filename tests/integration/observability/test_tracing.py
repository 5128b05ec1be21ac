"""One trace from the API request through Temporal to the ledger's SQL and the partner's HTTP.

Spans go to an in-memory exporter on a provider of the test's own (the
product never touches the global provider); everything else is real: the
FastAPI app, the dev server, the worker, PostgreSQL and the partner simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from temporalio.testing import WorkflowEnvironment

from loyalty.api import create_app
from loyalty.api.auth import Role, mint_token
from loyalty.contracts.redemption import RedemptionState
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.observability.api_telemetry import ApiTelemetry
from loyalty.observability.tracing import Tracing
from loyalty.temporal_client import connect
from tests.conftest import MemberFactory, unique_id
from tests.support import temporal as support
from tests.support.partner_simulator import PartnerSimulator


@pytest.fixture
def tracing() -> Iterator[tuple[Tracing, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield Tracing(provider), exporter
    HTTPXClientInstrumentor().uninstrument()  # the patch is process-wide
    provider.shutdown()


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        names.append(by_id[parent.span_id].name)
        parent = by_id[parent.span_id].parent
    return names


async def test_one_trace_spans_the_api_request_to_the_ledger_and_the_partner(
    tracing: tuple[Tracing, InMemorySpanExporter],
    temporal_env: WorkflowEnvironment,
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    seeded_catalog: None,
    new_member: MemberFactory,
) -> None:
    traced, exporter = tracing
    engine = make_engine(database_url, pool_size=4)
    traced.instrument_engine(engine)
    traced.instrument_httpx()
    sessions = make_session_factory(engine)
    settings = support.test_settings(
        database_url=database_url,
        partner_url=partner_simulator.url,
        temporal_address=temporal_env.client.service_client.config.target_host,
        **support.RELAXED_FRAUD,
    )
    client = await connect(settings, interceptors=traced.temporal_interceptors())
    member = new_member(points=5_000)
    token = mint_token(settings, role=Role.CUSTOMER, member_id=member)
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"}
    try:
        async with support.running_worker(
            client, sessions=sessions, settings=settings, executor=activity_executor
        ) as saga:
            app = create_app(
                settings.model_copy(update={"task_queue": saga.task_queue}),
                temporal=client,
                sessions=sessions,
                telemetry=ApiTelemetry(tracing=traced),
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
                started = await http.post(
                    "/v1/redemptions", json=body, headers={"Authorization": f"Bearer {token}"}
                )
            assert started.status_code == 202, started.text
            handle = client.get_workflow_handle(
                started.json()["redemption_id"], result_type=RedemptionState
            )
            assert (await handle.result()).status == "completed"
    finally:
        engine.dispose()

    spans = exporter.get_finished_spans()
    [request] = [s for s in spans if s.kind == SpanKind.SERVER and s.name == "POST /v1/redemptions"]
    trace = [s for s in spans if s.context.trace_id == request.context.trace_id]
    by_id = {s.context.span_id: s for s in trace}
    names = {s.name for s in trace}
    assert {
        "StartWorkflow:Redemption",
        "RunWorkflow:Redemption",
        "RunActivity:ReservePoints",
        "RunActivity:FulfillReward",
        "RunActivity:CapturePoints",
    } <= names
    ledger_sql = [
        s
        for s in trace
        if (s.attributes or {}).get("db.system") == "postgresql"
        and "RunActivity:ReservePoints" in ancestors(s, by_id)
    ]
    assert ledger_sql, "the hold's SQL belongs to the request's trace"
    partner_calls = [
        s
        for s in trace
        if s.kind == SpanKind.CLIENT
        and "RunActivity:FulfillReward" in ancestors(s, by_id)
        and str(partner_simulator.url).rsplit(":", 1)[1]
        in str((s.attributes or {}).get("url.full", (s.attributes or {}).get("http.url", "")))
    ]
    assert partner_calls, "the partner call belongs to the request's trace"
    assert all(ancestors(s, by_id)[-1] == request.name for s in ledger_sql + partner_calls)

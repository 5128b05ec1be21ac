"""OpenTelemetry traces: one trace from the HTTP request to the ledger's SQL and the partner.

The pieces are maintained instrumentations, each given the same tracer
provider (never the global one, so a test can hold its own):

- FastAPI: a server span per request (health probes excluded);
- Temporal's ``TracingInterceptor`` on the client: it carries the context in
  workflow and activity headers, so the worker's workflow and activity spans
  join the caller's trace (workers inherit the client's interceptors);
- SQLAlchemy: a span per statement, on the engine handed in;
- httpx: a client span per partner or webhook call.

Off by default; ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``LOYALTY_OTLP_ENDPOINT``)
names an OTLP/HTTP collector, e.g. ``http://otel-collector:4318``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy import Engine
from temporalio.client import Interceptor as ClientInterceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from loyalty.config import Settings

UNTRACED_URLS = "healthz,readyz"


def otlp_provider(settings: Settings, *, service: str) -> TracerProvider | None:
    """A provider that batches spans to the configured OTLP collector; None when tracing is off."""
    if not settings.otlp_endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"  # as the OTel spec derives it
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


@dataclass(frozen=True)
class Tracing:
    """Turns the instrumentations on, all on one tracer provider."""

    provider: TracerProvider

    @classmethod
    def from_settings(cls, settings: Settings, *, service: str) -> Tracing | None:
        provider = otlp_provider(settings, service=service)
        return cls(provider) if provider else None

    def temporal_interceptors(self) -> list[ClientInterceptor]:
        return [TracingInterceptor(self.provider.get_tracer("loyalty.temporal"))]

    def instrument_app(self, app: FastAPI) -> None:
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.provider, excluded_urls=UNTRACED_URLS
        )

    def instrument_engine(self, engine: Engine) -> None:
        # The instrumentation declares SQLAlchemy < 2.1 and would do nothing on 2.1; it
        # only hooks the engine's cursor events, which 2.1 keeps (the trace test proves it).
        SQLAlchemyInstrumentor().instrument(
            engine=engine, tracer_provider=self.provider, skip_dep_check=True
        )

    def instrument_httpx(self) -> None:
        """Every httpx client of the process (partner, webhooks): a process-wide patch."""
        HTTPXClientInstrumentor().instrument(tracer_provider=self.provider)

    def shutdown(self) -> None:
        """Flush what is batched and stop exporting (process exit)."""
        self.provider.shutdown()

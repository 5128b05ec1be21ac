"""What the API turns on: HTTP metrics (own listener), traces, the Temporal client's runtime.

``api.app.create_app`` takes one :class:`ApiTelemetry` (built from the
settings unless a test hands one in) and calls it where the app is assembled.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from loyalty.config import Settings
from loyalty.observability.http_metrics import HttpMetrics
from loyalty.observability.runtime import temporal_runtime
from loyalty.observability.tracing import Tracing

SERVICE = "loyalty-api"


@dataclass
class ApiTelemetry:
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 0
    tracing: Tracing | None = None
    http: HttpMetrics = field(default_factory=HttpMetrics)

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiTelemetry:
        return cls(
            metrics_host=settings.metrics_host,
            metrics_port=settings.api_metrics_port,
            tracing=Tracing.from_settings(settings, service=SERVICE),
        )

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``temporal_client.connect`` when the API connects itself."""
        interceptors = self.tracing.temporal_interceptors() if self.tracing else []
        return {
            "runtime": temporal_runtime(metrics_host=self.metrics_host, metrics_port=0),
            "interceptors": interceptors,
        }

    def instrument(self, app: FastAPI, engine: Engine | None) -> None:
        if self.tracing:
            self.tracing.instrument_app(app)
            if engine is not None:
                self.tracing.instrument_engine(engine)

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """For the app's lifetime: the metrics listener (if a port is set), then flush traces."""
        with contextlib.ExitStack() as stack:
            if self.metrics_port:
                stack.enter_context(self.http.serving(self.metrics_host, self.metrics_port))
            yield
            if self.tracing:
                self.tracing.shutdown()

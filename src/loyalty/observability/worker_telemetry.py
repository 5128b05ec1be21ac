"""What the worker turns on: its runtime (metrics, Core logs), traces, the open-work gauges.

``worker.run_worker`` builds one :class:`WorkerTelemetry` from the settings and
calls it in three places: the client's options, the engine and httpx, and a
block around the running worker.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.runtime import Runtime

from loyalty.config import Settings
from loyalty.observability.gauges import OpenWorkGauges
from loyalty.observability.runtime import temporal_runtime
from loyalty.observability.tracing import Tracing

SERVICE = "loyalty-worker"


@dataclass(frozen=True)
class WorkerTelemetry:
    runtime: Runtime
    metrics_on: bool
    tracing: Tracing | None
    refresh_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerTelemetry:
        return cls(
            runtime=temporal_runtime(
                metrics_host=settings.metrics_host, metrics_port=settings.worker_metrics_port
            ),
            metrics_on=bool(settings.worker_metrics_port),
            tracing=Tracing.from_settings(settings, service=SERVICE),
            refresh_s=settings.metrics_refresh_s,
        )

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``temporal_client.connect``."""
        interceptors = self.tracing.temporal_interceptors() if self.tracing else []
        return {"runtime": self.runtime, "interceptors": interceptors}

    def instrument(self, engine: Engine) -> None:
        if self.tracing:
            self.tracing.instrument_engine(engine)
            self.tracing.instrument_httpx()

    def serving(self, client: Client, *, task_queue: str) -> AbstractAsyncContextManager[None]:
        """While the worker runs: keep the open-work gauges fresh (when metrics are on)."""
        if not self.metrics_on:
            return contextlib.nullcontext()
        gauges = OpenWorkGauges(client, self.runtime.metric_meter, task_queue=task_queue)
        return gauges.refreshing(self.refresh_s)

    def shutdown(self) -> None:
        if self.tracing:
            self.tracing.shutdown()

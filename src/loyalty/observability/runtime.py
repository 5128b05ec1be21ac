"""The Temporal runtime a process connects with: Core's logs into ours, metrics when asked.

Temporal's Core (the Rust half of the SDK) logs on its own unless told to
forward; forwarding puts its lines through the process's structlog handler
like every other logger. With a metrics port, the same runtime serves the
SDK's Prometheus endpoint (``/metrics``), where the business series recorded
on activity meters (``business``, ``gauges``) appear beside the SDK's.
"""

from __future__ import annotations

import logging

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

from loyalty.observability.business import STEP_DURATION

CORE_LOGGER = "temporalio.core"
# Saga steps run from milliseconds (ledger) to minutes (a partner retrying, an ingestion).
STEP_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def temporal_runtime(*, metrics_host: str, metrics_port: int) -> Runtime:
    """A runtime that forwards Core's warnings, exporting Prometheus if ``metrics_port``."""
    metrics = (
        PrometheusConfig(
            bind_address=f"{metrics_host}:{metrics_port}",
            counters_total_suffix=True,
            durations_as_seconds=True,
            histogram_bucket_overrides={STEP_DURATION: STEP_BUCKETS_S},
        )
        if metrics_port
        else None
    )
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger(CORE_LOGGER)),
            ),
            metrics=metrics,
        )
    )

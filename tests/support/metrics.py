"""A worker whose Temporal runtime serves Prometheus on a free port, and a scraper for it.

The worker is the product's own (``build_worker`` with every real activity);
only the client differs from the session's: it is connected with the runtime
``loyalty.observability`` builds for a worker with a metrics port.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from loyalty.config import Settings
from loyalty.observability.runtime import temporal_runtime
from loyalty.observability.worker_telemetry import WorkerTelemetry
from loyalty.temporal_client import connect
from tests.support.temporal import SagaHarness, running_worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Scrape:
    samples: list[Sample]

    def value(self, name: str, **labels: str) -> float:
        """Sum of ``name``'s samples whose labels include ``labels``."""
        return sum(
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def names(self) -> set[str]:
        return {s.name for s in self.samples}


def scrape(url: str) -> Scrape:
    response = httpx.get(url, timeout=5)
    response.raise_for_status()
    families = text_string_to_metric_families(response.text)
    return Scrape([sample for family in families for sample in family.samples])


async def eventually_scraped(
    url: str, check: Callable[[Scrape], bool], *, timeout: float = 20.0
) -> Scrape:
    """Scrape until ``check`` holds (exporters and gauges catch up asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        current = await asyncio.to_thread(scrape, url)
        if check(current):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"never true at {url}: {sorted(current.names())}")
        await asyncio.sleep(0.3)


@dataclass
class MeteredClient:
    client: Client
    telemetry: WorkerTelemetry
    url: str


async def metered_client(env: WorkflowEnvironment, settings: Settings) -> MeteredClient:
    """A client on the runtime a worker with ``LOYALTY_WORKER_METRICS_PORT`` set would use."""
    port = free_port()
    runtime = temporal_runtime(metrics_host="127.0.0.1", metrics_port=port)
    telemetry = WorkerTelemetry(runtime=runtime, metrics_on=True, tracing=None, refresh_s=0.3)
    target = env.client.service_client.config.target_host
    client = await connect(
        settings.model_copy(update={"temporal_address": target}), **telemetry.client_options()
    )
    return MeteredClient(client=client, telemetry=telemetry, url=f"http://127.0.0.1:{port}/metrics")


@asynccontextmanager
async def metered_worker(
    env: WorkflowEnvironment,
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    executor: ThreadPoolExecutor,
) -> AsyncIterator[tuple[SagaHarness, MeteredClient]]:
    """A saga worker on a fresh task queue, its gauges refreshing while it runs."""
    metered = await metered_client(env, settings)
    async with (
        running_worker(
            metered.client, sessions=sessions, settings=settings, executor=executor
        ) as saga,
        metered.telemetry.serving(metered.client, task_queue=saga.task_queue),
    ):
        yield saga, metered

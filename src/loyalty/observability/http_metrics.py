"""The API's Prometheus series, on a listener of their own (never the public port).

``/metrics`` says how the API is used; it is served on ``LOYALTY_API_METRICS_PORT``
so it is reachable by the scraper on the internal network and not published
with the API (docker-compose.yml publishes only the API and the Web UI).

- ``loyalty_http_requests_total{method,route,status}``: ``route`` is the route
  template (``/v1/redemptions/{redemption_id}``), never the raw path, so ids
  do not become labels; requests that match no route count as ``unmatched``.
- ``loyalty_http_request_duration_seconds{method,route}``
- the client library's process series (CPU, memory, open files).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    start_http_server,
)
from starlette.types import Scope

UNMATCHED = "unmatched"


class HttpMetrics:
    """One registry per app, so tests (and two apps in a process) never share counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self._requests = Counter(
            "loyalty_http_requests",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "loyalty_http_request_duration_seconds",
            "HTTP request duration by route template",
            ["method", "route"],
            registry=self.registry,
        )

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or UNMATCHED
        self._requests.labels(scope["method"], template, str(status)).inc()
        self._duration.labels(scope["method"], template).observe(seconds)

    @contextmanager
    def serving(self, host: str, port: int) -> Iterator[None]:
        """Serve ``/metrics`` on ``host:port`` in a daemon thread while the block runs."""
        server: WSGIServer
        thread: threading.Thread
        server, thread = start_http_server(port, addr=host, registry=self.registry)
        try:
            yield
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

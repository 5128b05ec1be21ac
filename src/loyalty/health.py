"""Worker health as a file the worker refreshes while it serves its task queue.

A Temporal worker has no port of its own, so a supervisor cannot ask it "are
you polling?". Instead the worker touches a file every few seconds while it is
running *and* Temporal answers its health check; whoever supervises it (``loyalty
up``, a container healthcheck, ``loyalty worker-health``) reads the file's age.
A stale or missing file means: not ready, or no longer polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from datetime import timedelta
from pathlib import Path

import structlog
from temporalio.client import Client
from temporalio.worker import Worker

log = structlog.get_logger(__name__)

BEAT_INTERVAL_S = 3.0
# Three missed beats: a busy event loop may delay one, never three.
MAX_AGE_S = 3 * BEAT_INTERVAL_S


class HealthFile:
    """A file whose modification time says when its writer was last healthy."""

    def __init__(self, path: Path, *, max_age_s: float = MAX_AGE_S) -> None:
        self.path = path
        self.max_age_s = max_age_s

    def beat(self) -> None:
        """Record "healthy now" atomically (a reader never sees a half-written file)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        partial.write_text(f"{os.getpid()} {time.time():.3f}\n")
        partial.replace(self.path)

    def clear(self) -> None:
        """Forget the last beat (on shutdown, and before a supervisor starts the writer)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def fresh(self, *, since: float | None = None) -> bool:
        """True if a beat landed within ``max_age_s`` (and not before ``since``, if given)."""
        try:
            beat_at = self.path.stat().st_mtime
        except FileNotFoundError:
            return False
        recent_enough = time.time() - beat_at <= self.max_age_s
        return recent_enough and (since is None or beat_at >= since)


async def keep_fresh(
    health: HealthFile, *, worker: Worker, client: Client, interval_s: float = BEAT_INTERVAL_S
) -> None:
    """Beat while ``worker`` runs and Temporal answers; runs until cancelled."""
    try:
        while True:
            if worker.is_running and await _temporal_answers(client, interval_s):
                health.beat()
            else:
                log.warning("worker_unhealthy", running=worker.is_running)
            await asyncio.sleep(interval_s)
    finally:
        health.clear()


async def _temporal_answers(client: Client, timeout_s: float) -> bool:
    try:
        return await client.service_client.check_health(timeout=timedelta(seconds=timeout_s))
    except Exception:  # any RPC failure means "not reachable now"; the next beat retries
        return False

"""The supervisor behind ``loyalty up``: start in order, wait until ready, restart what crashes.

Each service starts only when the one before it is *ready* (its own check: a
port, an HTTP health route, the worker's health file). A service that exits
on its own is restarted with exponential backoff (1 s, 2 s, 4 s... up to 30 s,
back to 1 s once it stayed up a minute) and every restart is printed; the
others keep running. ``stop`` stops everything newest first.

Starting, readiness and stopping come from mirakuru (a maintained process
executor): each service runs in its own session, so a terminal's Ctrl-C
reaches only ``loyalty up``, which then stops the services in order; a stop is
SIGTERM to the service's process group, then SIGKILL after the timeout, then
every leftover process the service spawned. We evaluated supervisor and circus
too: supervisord has no readiness checks and gives up on a process after its
start retries, circus brings ZeroMQ and has no readiness either; the ordering
and restart policy here is small enough to own.

Not a process manager for production: there, each process is its own
deployment with its platform's restart policy (see docker-compose.yml).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from mirakuru import Executor
from mirakuru.exceptions import ExecutorError

POLL_S = 0.3


@dataclass(frozen=True)
class Service:
    """One process of the stack and how to tell it is ready."""

    name: str
    argv: Sequence[str]
    ready: Callable[[], bool]
    where: str
    env: Mapping[str, str] = field(default_factory=dict)
    port: tuple[str, int] | None = None  # refuse to start if something already listens there
    prepare: Callable[[], None] = lambda: None  # runs before every (re)start
    timeout_s: float = 90.0  # to become ready, and to stop before it is killed


@dataclass(frozen=True)
class Backoff:
    """Restart delays: ``initial * 2**n`` capped at ``maximum``; reset after ``stable_s`` up."""

    initial_s: float = 1.0
    maximum_s: float = 30.0
    stable_s: float = 60.0

    def delay(self, failures: int) -> float:
        return float(min(self.initial_s * 2 ** max(failures - 1, 0), self.maximum_s))


def port_open(host: str, port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex((host, port)) == 0

    return check


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1.0).is_success
        except httpx.HTTPError:
            return False

    return check


class _ServiceExecutor(Executor):
    """A mirakuru executor whose readiness is the service's own check."""

    def __init__(self, service: Service, log: IO[Any]) -> None:
        super().__init__(
            list(service.argv),
            timeout=service.timeout_s,
            sleep=POLL_S,
            envvars=dict(service.env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.service = service

    def pre_start_check(self) -> bool:
        return self.service.port is not None and port_open(*self.service.port)()

    def after_start_check(self) -> bool:
        return self.service.ready()


@dataclass
class _Supervised:
    executor: _ServiceExecutor
    log_path: Path
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None

    @property
    def name(self) -> str:
        return self.executor.service.name


class Supervisor:
    """Runs the services of one stack; not thread-safe, driven from the main thread."""

    def __init__(self, log_dir: Path, *, backoff: Backoff | None = None) -> None:
        self._log_dir = log_dir
        self._backoff = backoff or Backoff()
        self._services: list[_Supervised] = []

    def start(self, service: Service) -> None:
        """Start ``service`` and block until it is ready; raise if it cannot be."""
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"{service.name}.log"
        print(f"==> starting {service.name} (log: {log_path})", flush=True)
        # Registered before it starts, so a stop requested mid-start still stops it.
        supervised = _Supervised(_ServiceExecutor(service, log_path.open("ab")), log_path)
        self._services.append(supervised)
        self._launch(supervised)
        print(f"    {service.name:18} ready at {service.where}", flush=True)

    def supervise(self) -> None:
        """Watch the services until a signal handler raises; restart each one that exits."""
        while True:
            for supervised in self._services:
                self._check(supervised)
            time.sleep(POLL_S)

    def stop(self) -> None:
        """Stop every service, newest first (each gets its timeout, then is killed)."""
        for supervised in reversed(self._services):
            executor = supervised.executor
            if executor.process is None:
                continue
            print(f"==> stopping {supervised.name}", flush=True)
            try:
                executor.stop()
            except ExecutorError as error:  # it stopped, but not with the code we expect
                print(f"    {supervised.name} stopped: {error}", flush=True)
        self._services.clear()

    def _launch(self, supervised: _Supervised) -> None:
        executor = supervised.executor
        executor.service.prepare()
        try:
            executor.start()
        except ExecutorError as error:
            raise RuntimeError(
                f"{supervised.name} did not become ready: {error}; see {supervised.log_path}"
            ) from None
        supervised.started_at = time.monotonic()

    def _check(self, supervised: _Supervised) -> None:
        executor = supervised.executor
        if supervised.restart_at is None:
            if executor.running():
                return
            self._schedule_restart(supervised)
        if supervised.restart_at is not None and time.monotonic() >= supervised.restart_at:
            supervised.restart_at = None
            self._restart(supervised)

    def _schedule_restart(self, supervised: _Supervised) -> None:
        process = supervised.executor.process
        code = process.poll() if process is not None else None
        up_for = time.monotonic() - supervised.started_at
        supervised.failures = 1 if up_for >= self._backoff.stable_s else supervised.failures + 1
        delay = self._backoff.delay(supervised.failures)
        supervised.restart_at = time.monotonic() + delay
        print(
            f"!! {supervised.name} exited with {code} after {up_for:.0f}s; "
            f"restarting in {delay:.0f}s (consecutive failure {supervised.failures}, "
            f"log: {supervised.log_path})",
            flush=True,
        )

    def _restart(self, supervised: _Supervised) -> None:
        with contextlib.suppress(ExecutorError):
            supervised.executor.kill()  # reaps the dead process and anything it left behind
        try:
            self._launch(supervised)
        except RuntimeError as error:
            print(f"!! {error}", flush=True)
            self._schedule_restart(supervised)
            return
        service = supervised.executor.service
        print(f"==> {service.name} restarted; ready at {service.where}", flush=True)

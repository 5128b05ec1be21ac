"""A tiny supervisor for ``loyalty up``: start processes in order, wait until each is ready,
stop them all (newest first) on Ctrl-C or when any of them dies.

Not a process manager for production: there, each process is a separate
deployment (see docker-compose.yml).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Service:
    name: str
    argv: Sequence[str]
    ready: Callable[[], bool]
    where: str
    startup_timeout_s: float = 60.0


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


class Stack:
    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._running: list[tuple[Service, subprocess.Popen[bytes]]] = []

    def start(self, service: Service, base_env: dict[str, str]) -> None:
        """Start ``service`` and block until it is ready (or fail loudly)."""
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"{service.name}.log"
        print(f"==> starting {service.name} (log: {log_path})", flush=True)
        process = subprocess.Popen(
            list(service.argv),
            env=base_env,
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us; we stop children in order
        )
        self._running.append((service, process))
        deadline = time.monotonic() + service.startup_timeout_s
        while not service.ready():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{service.name} exited with {process.returncode}; see {log_path}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"{service.name} not ready after {service.startup_timeout_s}s")
            time.sleep(0.3)
        print(f"    {service.name:18} ready at {service.where}", flush=True)

    def wait(self) -> None:
        """Block until Ctrl-C / SIGTERM or until a process exits on its own."""
        stop = False

        def request_stop(*_: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not stop:
            for service, process in self._running:
                if process.poll() is not None:
                    print(f"!! {service.name} exited with {process.returncode}; stopping the stack")
                    return
            time.sleep(0.5)

    def stop(self) -> None:
        for service, process in reversed(self._running):
            if process.poll() is None:
                print(f"==> stopping {service.name}", flush=True)
                process.terminate()
                try:
                    process.wait(timeout=25)
                except subprocess.TimeoutExpired:
                    process.kill()
        self._running.clear()

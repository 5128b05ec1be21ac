"""Start, wait for and stop a partner simulator process; the handle tests use.

Shared by every test that needs a partner; tests import ``PartnerSimulator`` (as
``tests.support.partner_simulator``) for type hints.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

_STARTUP_TIMEOUT_S = 15.0


@dataclass
class PartnerSimulator:
    """Handle on a running simulator: its URL and its control API."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def control(self, **changes: Any) -> dict[str, Any]:
        """Merge fault controls, e.g. ``control(issue={"fail_next": 2})``."""
        response = httpx.post(f"{self.url}/control", json=changes, timeout=5)
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    def reset(self) -> None:
        """Forget every voucher and fault."""
        httpx.post(f"{self.url}/control/reset", timeout=5).raise_for_status()

    def stats(self) -> dict[str, int]:
        """Calls received per operation since the last reset."""
        response = httpx.get(f"{self.url}/stats", timeout=5)
        response.raise_for_status()
        stats: dict[str, int] = response.json()
        return stats

    def use(self, idempotency_key: str, units: int = 1) -> None:
        """The member redeems ``units`` of the voucher issued under ``idempotency_key``."""
        body = {"idempotency_key": idempotency_key, "units": units}
        httpx.post(f"{self.url}/control/vouchers/use", json=body, timeout=5).raise_for_status()

    def vouchers(self) -> list[dict[str, Any]]:
        """Every voucher the partner holds, issued or voided."""
        response = httpx.get(f"{self.url}/vouchers", timeout=5)
        response.raise_for_status()
        vouchers: list[dict[str, Any]] = response.json()["vouchers"]
        return vouchers


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(sim: PartnerSimulator) -> None:
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if sim.process.poll() is not None:
            break
        try:
            if httpx.get(f"{sim.url}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    log = sim.log_path.read_text(errors="replace")
    raise RuntimeError(f"partner simulator did not start at {sim.url}:\n{log}")


def stop_simulator(sim: PartnerSimulator) -> None:
    """Terminate the process; kill it if it lingers."""
    process = sim.process
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def start_simulator(log_path: Path, *, seed: int = 1) -> PartnerSimulator:
    """Run ``python -m loyalty.partners.simulator`` on a free port and wait until it answers."""
    port = _free_port()
    command = [sys.executable, "-m", "loyalty.partners.simulator"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--seed", str(seed)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    sim = PartnerSimulator(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        _wait_until_up(sim)
    except BaseException:
        stop_simulator(sim)
        raise
    return sim

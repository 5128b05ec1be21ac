"""Run the real ``loyalty up`` on free ports, with its own database and data folder.

Every process ``up`` starts inherits ``LOYALTY_DATA_DIR``, a folder unique to
the test, so the test finds them (and proves none is left) by that variable
alone, without touching anyone else's processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from loyalty.cli.stack import port_open
from tests.support.partner_simulator import _free_port

LOYALTY = Path(sys.executable).with_name("loyalty")


@dataclass
class StackUnderTest:
    """One ``loyalty up`` process and where its services listen."""

    data_dir: Path
    database_url: str  # the app's own login role
    migration_url: str  # the schema owner
    ports: dict[str, int]
    process: subprocess.Popen[bytes] | None = None
    temporal_db_dir: Path | None = None  # the dev server's SQLite elsewhere (bench: tmpfs)

    @classmethod
    def prepare(cls, tmp_path: Path, database_url: str, migration_url: str) -> StackUnderTest:
        names = ("temporal", "temporal_ui", "api", "partner")
        return cls(
            data_dir=tmp_path / "data",
            database_url=database_url,
            migration_url=migration_url,
            ports={n: _free_port() for n in names},
        )

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.ports['temporal']}"

    @property
    def partner_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['partner']}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "LOYALTY_MIGRATION_DATABASE_URL": self.migration_url,
            "LOYALTY_DATA_DIR": str(self.data_dir),
            "LOYALTY_DEV_TEMPORAL_PORT": str(self.ports["temporal"]),
            "LOYALTY_DEV_TEMPORAL_UI_PORT": str(self.ports["temporal_ui"]),
            "LOYALTY_DEV_TEMPORAL_DB_FILENAME": str(self.temporal_db_path),
            "LOYALTY_API_PORT": str(self.ports["api"]),
            "LOYALTY_PARTNER_URL": self.partner_url,
            "LOYALTY_LOG_LEVEL": "WARNING",
        }

    @property
    def temporal_db_path(self) -> Path:
        return (self.temporal_db_dir or self.data_dir) / "temporal.sqlite"

    @property
    def output_path(self) -> Path:
        return self.data_dir.parent / "up.out"

    def start(self, *options: str) -> None:
        """Run ``loyalty up`` with ``options`` (e.g. ``--no-ingest``)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.output_path.open("wb") as out:
            self.process = subprocess.Popen(
                [str(LOYALTY), "up", *options],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def wait_for_line(self, marker: str, timeout_s: float = 240.0) -> None:
        """Block until ``up`` printed ``marker``; fail with its output if it exits or stalls."""
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while marker not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never printed {marker!r}:\n{self.output()}")
            time.sleep(0.05)

    def terminate(self, timeout_s: float = 180.0) -> int:
        """SIGTERM ``up`` and wait for it to exit; its exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout_s)

    def processes(self) -> list[psutil.Process]:
        """Every live process started for this stack (found by its data folder)."""
        found = []
        for process in psutil.process_iter():
            try:
                if process.environ().get("LOYALTY_DATA_DIR") == str(self.data_dir):
                    found.append(process)
            except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
        return found

    def service(self, fragment: str) -> psutil.Process:
        """The one live process of this stack whose command line contains ``fragment``."""
        [process] = [p for p in self.processes() if fragment in " ".join(p.cmdline())]
        return process

    def listening(self) -> list[str]:
        return [name for name, port in self.ports.items() if port_open("127.0.0.1", port)()]

    def kill_leftovers(self) -> None:
        """Last resort after a failed test: no process of this stack may outlive it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        for process in self.processes():
            process.kill()

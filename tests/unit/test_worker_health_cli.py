"""``loyalty worker-health``: what a container healthcheck runs against the worker's file."""

from __future__ import annotations

import os
import time
from pathlib import Path

from typer.testing import CliRunner

from loyalty.cli.app import app
from loyalty.health import MAX_AGE_S, HealthFile


def test_a_fresh_file_is_healthy_and_a_stale_or_missing_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "worker-health"
    runner = CliRunner()

    missing = runner.invoke(app, ["worker-health", "--file", str(path)])
    HealthFile(path).beat()
    fresh = runner.invoke(app, ["worker-health", "--file", str(path)])
    old = time.time() - MAX_AGE_S - 5
    os.utime(path, (old, old))
    stale = runner.invoke(app, ["worker-health", "--file", str(path)])

    assert (missing.exit_code, fresh.exit_code, stale.exit_code) == (1, 0, 1)
    assert "healthy" in fresh.output

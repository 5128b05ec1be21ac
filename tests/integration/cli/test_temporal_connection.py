"""The CLI reaches Temporal through the SDK's environment configuration alone."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

LOYALTY = Path(sys.executable).with_name("loyalty")


async def test_temporal_address_from_the_sdk_variables_reaches_the_server(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_TEMPORAL")}
    empty = tmp_path / "temporal.toml"
    empty.write_text("")
    environ |= {
        "TEMPORAL_CONFIG_FILE": str(empty),
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": "default",
        "LOYALTY_LOG_LEVEL": "WARNING",
    }
    listed = await asyncio.to_thread(
        subprocess.run,
        [str(LOYALTY), "schedules", "--json"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr

    environ["TEMPORAL_ADDRESS"] = "127.0.0.1:1"  # nothing listens there
    unreachable = await asyncio.to_thread(
        subprocess.run,
        [str(LOYALTY), "schedules"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unreachable.returncode == 4
    assert "cannot reach Temporal at 127.0.0.1:1" in unreachable.stderr

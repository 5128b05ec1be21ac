"""Run the ``loyalty`` command as an operator would: a real process, its own environment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

LOYALTY = Path(sys.executable).with_name("loyalty")


async def loyalty(
    env: WorkflowEnvironment, *args: str, **variables: str
) -> subprocess.CompletedProcess[str]:
    """``loyalty ARGS`` against ``env``'s Temporal server, with extra environment ``variables``."""
    environ = {
        **os.environ,
        "LOYALTY_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "LOYALTY_LOG_LEVEL": "WARNING",
        **variables,
    }
    return await asyncio.to_thread(
        subprocess.run,
        [str(LOYALTY), *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

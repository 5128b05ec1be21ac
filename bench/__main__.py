"""Run every benchmark and print one line each: rate against its target, p50 and p95."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from bench import ledger_bench, saga_bench
from bench.support import scratch_database
from loyalty.logging import configure_logging


def main() -> None:
    configure_logging("WARNING")
    print("machine: see `nproc`, `free -h`; numbers are for this machine only", flush=True)
    with scratch_database() as url:
        print("running ledger benchmark ...", flush=True)
        print(ledger_bench.run(url).line(), flush=True)
    with scratch_database() as url, tempfile.TemporaryDirectory() as logs:
        print("running saga benchmark ...", flush=True)
        print(asyncio.run(saga_bench.run(url, Path(logs))).line(), flush=True)


main()

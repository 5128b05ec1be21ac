"""``make bench``: the durable path through the API, its in-process baseline, the agent path.

One local stack (``loyalty up`` on free ports and a scratch database) serves
every figure. Prints one line per run, writes ``bench/results/<date>-<sha>.json``
and redraws ``docs/images/performance.png``. Targets are in docs/performance.md,
never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from bench import agent_bench, api_bench, baseline, report
from bench.stack import LocalStack, local_stack
from loyalty.logging import configure_logging


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sagas", type=int, default=400, help="per loaded run")
    parser.add_argument("--concurrency", default="12,32", help="comma-separated, one run each")
    parser.add_argument("--lone", type=int, default=30, help="sagas one at a time")
    parser.add_argument("--baseline", type=int, default=300)
    parser.add_argument("--proposals", type=int, default=40)
    parser.add_argument("--budget-s", type=float, default=90, help="start no saga after, per run")
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument("--wait", type=float, default=0.0, help="POST ?wait=S instead of polling")
    parser.add_argument("--label", default="", help="names the results file (an A/B run)")
    parser.add_argument(
        "--temporal-db-dir",
        default="",
        help="the dev server's SQLite file in this folder, e.g. /dev/shm (a tmpfs: no disk I/O)",
    )
    return parser.parse_args()


def _measure(stack: LocalStack, args: argparse.Namespace, results: dict[str, Any]) -> None:
    meter = report.CpuMeter(stack)
    loads = [1] + [int(c) for c in args.concurrency.split(",") if c]
    ids: list[str] = []
    for concurrency in loads:
        count = args.lone if concurrency == 1 else args.sagas
        name = "lone saga via API" if concurrency == 1 else "sagas via API"
        meter.start()
        run = asyncio.run(
            api_bench.drive(
                stack,
                name=name,
                count=count,
                concurrency=concurrency,
                budget_s=args.budget_s,
                wait_s=args.wait,
            )
        )
        fig = report.figures(run) | {"cpu_s": meter.stop()}
        results["runs"].append(fig)
        ids += run.ids
        print(report.line(fig), flush=True)
    results["temporal_per_saga"] = asyncio.run(api_bench.tasks_per_saga(stack, ids))
    print(f"temporal per saga: {results['temporal_per_saga']}", flush=True)
    if args.baseline:
        _baseline(stack, args, results, best=max(loads[1:] or loads))
    if args.proposals:
        agents, ingest_s = agent_bench.run(stack, count=args.proposals)
        results["agent"] = report.figures(agents) | {"ingest_s": round(ingest_s, 1)}
        print(report.line(results["agent"]) + f"  (ingestion {ingest_s:.0f}s)", flush=True)


def _baseline(
    stack: LocalStack, args: argparse.Namespace, results: dict[str, Any], *, best: int
) -> None:
    meter = report.CpuMeter(stack)
    meter.start()
    base = report.figures(baseline.run(stack, count=args.baseline, concurrency=best))
    results["runs"].append(base | {"cpu_s": meter.stop()})
    print(report.line(base), flush=True)
    durable = max(
        r["per_s"] for r in results["runs"] if r["name"] == "sagas via API" or r["concurrency"] == 1
    )
    results["durable_vs_baseline"] = round(durable / base["per_s"], 3) if base["per_s"] else None
    print(f"durable / baseline throughput: {results['durable_vs_baseline']}", flush=True)


def main() -> None:
    args = _args()
    configure_logging("WARNING")
    results: dict[str, Any] = {
        "date": f"{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}",
        "sha": report.sha(),
        "machine": report.machine(),
        "args": vars(args),
        "label": args.label,
        "runs": [],
    }
    print(f"machine: {results['machine']}", flush=True)
    print("starting the stack (loyalty up on free ports) ...", flush=True)
    with local_stack(
        members=200,
        limited_stock=10,
        funds=10_000_000,
        temporal_db_dir=Path(args.temporal_db_dir) if args.temporal_db_dir else None,
    ) as stack:
        _measure(stack, args, results)
    print(f"results: {report.write(results)}", flush=True)
    if not args.no_chart:
        print(f"chart: {report.chart(results)}", flush=True)


main()

"""Statistics, CPU per process, the results file and the chart of one ``make bench``."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.api_bench import Run
from bench.stack import LocalStack

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CHART = ROOT / "docs" / "images" / "performance.png"
SERVICES = {
    "temporal": "server start-dev",
    "worker": "loyalty worker",
    "api": "loyalty api",
    "partner-simulator": "partners.simulator",
}


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def figures(run: Run) -> dict[str, Any]:
    done = len(run.latencies_ms)
    return {
        "name": run.name,
        "concurrency": run.concurrency,
        "count": sum(run.outcomes.values()),
        "completed": done,
        "outcomes": dict(run.outcomes),
        "seconds": round(run.seconds, 2),
        "per_s": round(done / run.seconds, 2) if run.seconds else 0.0,
        "p50_ms": round(percentile(run.latencies_ms, 50), 1),
        "p95_ms": round(percentile(run.latencies_ms, 95), 1),
        "p99_ms": round(percentile(run.latencies_ms, 99), 1),
    }


def line(fig: dict[str, Any]) -> str:
    return (
        f"{fig['name']:34} c={fig['concurrency']:<3} {fig['completed']:5d} done "
        f"{fig['per_s']:7.1f}/s  p50 {fig['p50_ms']:7.1f} ms  p95 {fig['p95_ms']:7.1f} ms  "
        f"p99 {fig['p99_ms']:7.1f} ms"
    )


@dataclass
class CpuMeter:
    """CPU seconds each stack process (and PostgreSQL, machine-wide) used between marks."""

    stack: LocalStack
    marks: dict[str, float] = field(default_factory=dict)

    def _now(self) -> dict[str, float]:
        found: dict[str, float] = {}
        for process in self.stack.stack.processes():
            with _quiet():
                line = " ".join(process.cmdline())
                for name, fragment in SERVICES.items():
                    if fragment in line:
                        times = process.cpu_times()
                        found[name] = found.get(name, 0.0) + times.user + times.system
        postgres = 0.0
        for process in psutil.process_iter(["name"]):
            if process.info["name"] == "postgres":
                with _quiet():
                    times = process.cpu_times()
                    postgres += times.user + times.system
        found["postgres (all databases)"] = postgres
        mine = psutil.Process().cpu_times()
        found["bench driver"] = mine.user + mine.system
        return found

    def start(self) -> None:
        self.marks = self._now()

    def stop(self) -> dict[str, float]:
        now = self._now()
        return {k: round(v - self.marks.get(k, 0.0), 2) for k, v in now.items()}


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: object, tb: object) -> bool:
        return isinstance(value, psutil.Error)


def machine() -> dict[str, Any]:
    model = ""
    with _quiet(), open("/proc/cpuinfo") as info:
        model = next((ln.split(":", 1)[1].strip() for ln in info if "model name" in ln), "")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def sha() -> str:
    run = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return run.stdout.strip() or "unknown"


def write(results: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    label = f"-{results['label']}" if results.get("label") else ""
    path = RESULTS / f"{dt.datetime.now(dt.UTC):%Y-%m-%d}-{results['sha']}{label}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def chart(results: dict[str, Any], path: Path = CHART) -> Path:
    """Throughput per run (bars) and p50/p99 latency (points, right axis)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"] + ([results["agent"]] if "agent" in results else [])
    labels = [f"{r['name']}\nc={r['concurrency']}" for r in runs]
    fig, left = plt.subplots(figsize=(10, 4.8))
    left.bar(labels, [r["per_s"] for r in runs], color="#4c72b0")
    left.set_ylabel("completed sagas (proposals) per second, bars")
    right = left.twinx()
    right.plot(labels, [r["p50_ms"] for r in runs], "o", color="#dd8452", label="p50")
    right.plot(labels, [r["p99_ms"] for r in runs], "v", color="#c44e52", label="p99")
    right.set_ylabel("latency, ms (points)")
    right.set_yscale("log")
    right.legend(loc="upper right")
    left.set_title(
        f"make bench {results['date']} @ {results['sha']} ({results['machine']['cpus']} cores)"
    )
    plt.setp(left.get_xticklabels(), fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

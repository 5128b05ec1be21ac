"""One fault run: start the stack, drive the load while injecting, check, tabulate."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.faults.checks import Violation, check
from bench.faults.load import NOT_STARTED, Load, Saga
from bench.faults.plan import KINDS, Injector, schedule
from bench.stack import LocalStack, local_stack


@dataclass(frozen=True)
class Config:
    sagas: int = 1_000
    concurrency: int = 24
    budget_s: float = 600.0  # for the load and the wait for every saga to end
    faults: frozenset[str] = frozenset(KINDS)
    members: int | None = None  # default: one per five sagas


@dataclass
class Row:
    fault: str
    sagas: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    violations: int = 0


@dataclass
class Report:
    config: Config
    sagas: list[Saga]
    violations: list[Violation]
    rows: list[Row]
    seconds: float
    api_errors: Counter[str]
    restarts: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def not_started(self) -> int:
        return sum(1 for s in self.sagas if s.status == NOT_STARTED)

    def table(self) -> str:
        lines = [
            f"{'fault':18} {'sagas':>6} {'completed':>9} {'rejected':>8} {'failed':>6} "
            f"{'other':>5} {'violations':>10}"
        ]
        for row in self.rows:
            o = row.outcomes
            other = row.sagas - o["completed"] - o["rejected"] - o["failed"]
            lines.append(
                f"{row.fault:18} {row.sagas:6d} {o['completed']:9d} {o['rejected']:8d} "
                f"{o['failed']:6d} {other:5d} {row.violations:10d}"
            )
        return "\n".join(lines)

    def summary(self) -> str:
        ended = [s.ended - s.started for s in self.sagas if s.ended is not None]
        p50 = statistics.median(ended) if ended else 0.0
        errors = ", ".join(f"{k} x{n}" for k, n in sorted(self.api_errors.items())) or "none"
        restarts = ", ".join(f"{k} x{n}" for k, n in self.restarts.items())
        return (
            f"{len(self.sagas) - self.not_started} sagas (of {len(self.sagas)} asked) in "
            f"{self.seconds:.0f}s at {self.config.concurrency} in flight "
            f"(p50 start-to-end {p50:.1f}s); restarts by the supervisor: {restarts}; "
            f"API answers retried: {errors}"
        )


def _rows(
    sagas: list[Saga], violations: list[Violation], intervals: dict[str, list[tuple[float, float]]]
) -> list[Row]:
    bad = Counter(n for v in violations for n in v.sagas)
    rows = []
    groups = {kind: [s for s in sagas if s.exposed_to(spans)] for kind, spans in intervals.items()}
    groups["(none)"] = [
        s for s in sagas if not any(s.exposed_to(spans) for spans in intervals.values())
    ]
    groups["all"] = sagas
    for kind, members in groups.items():
        row = Row(kind, len(members), Counter(s.status or "unknown" for s in members))
        row.violations = sum(bad[s.number] for s in members)
        rows.append(row)
    unattributed = [v for v in violations if not v.sagas]
    rows[-1].violations += len(unattributed)
    return rows


async def _watch(stack: LocalStack) -> None:
    """Raise when ``loyalty up`` itself exits: nothing the run measures then would mean much."""
    process = stack.stack.process
    assert process is not None
    while process.poll() is None:
        await asyncio.sleep(0.5)
    raise RuntimeError(
        f"loyalty up exited with {process.returncode}:\n{stack.stack.output()[-3000:]}"
    )


async def _drive(config: Config, log: Callable[[str], None]) -> Report:
    members = config.members or max(4, config.sagas // 5)
    limited = max(2, config.sagas // 10)
    log(f"starting the stack (loyalty up on free ports, {members} members) ...")
    # about four redemptions' worth each, so a member's fifth may be refused
    with local_stack(members=members, limited_stock=limited, funds=4_500) as stack:
        started = time.monotonic()
        load = Load(
            stack,
            config.sagas,
            config.concurrency,
            deadline=started + config.budget_s,
            last_start=started + config.budget_s * 0.75,
        )
        injector = Injector(stack, schedule(set(config.faults)), config.sagas)
        log(f"driving {config.sagas} redemptions, {config.concurrency} in flight ...")
        work: asyncio.Future[Any] = asyncio.gather(load.run(), injector.run(load.progress, log))
        watch: asyncio.Future[Any] = asyncio.create_task(_watch(stack))
        await asyncio.wait([work, watch], return_when=asyncio.FIRST_COMPLETED)
        if watch.done():
            work.cancel()
            watch.result()  # raises: the stack itself went away
        watch.cancel()
        await work
        seconds = time.monotonic() - started
        log("every saga ended (or the budget ran out); checking ...")
        violations = await asyncio.to_thread(check, stack, load.sagas)
        restarts = {name: stack.restarts(name) for name in ("worker", "temporal")}
    return Report(
        config,
        load.sagas,
        violations,
        _rows(load.sagas, violations, injector.intervals),
        seconds,
        load.api_errors,
        restarts,
    )


def run(config: Config, log: Callable[[str], None] = print) -> Report:
    """Start a stack, drive ``config.sagas`` through it while injecting faults, check."""
    return asyncio.run(_drive(config, log))

"""The faults and when they strike: windows over the run's progress, overlapping on purpose.

Each fault has a ``begin`` and an ``end``. A window opens when the share of
sagas started reaches ``start`` and closes once it reaches ``stop`` *and* the
fault lasted ``min_s`` (so a small run still feels it), or after ``max_s``
(when every saga in flight is stuck retrying, progress stalls); crash faults
close when the supervisor has brought the process back.
A saga is *exposed* to a
fault when it was running at any moment of one of the fault's windows.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.stack import LocalStack

Action = Callable[[LocalStack], Awaitable[None]]


async def _partner(stack: LocalStack, **changes: object) -> None:
    await asyncio.to_thread(stack.partner, **changes)


async def _until_restarted(stack: LocalStack, service: str, before: int) -> None:
    while stack.restarts(service) <= before:
        await asyncio.sleep(0.2)


def _crash(fragment: str, service: str, sig: signal.Signals) -> tuple[Action, Action]:
    seen: dict[str, int] = {}

    async def begin(stack: LocalStack) -> None:
        seen["before"] = stack.restarts(service)
        await asyncio.to_thread(stack.signal, fragment, sig)

    async def end(stack: LocalStack) -> None:
        await _until_restarted(stack, service, seen["before"])

    return begin, end


def _pg_terminator() -> tuple[Action, Action]:
    tasks: list[asyncio.Task[None]] = []

    async def loop(stack: LocalStack) -> None:
        while True:
            await asyncio.to_thread(stack.terminate_backends)
            await asyncio.sleep(0.7)

    async def begin(stack: LocalStack) -> None:
        tasks.append(asyncio.create_task(loop(stack)))

    async def end(stack: LocalStack) -> None:
        for task in tasks:
            task.cancel()
        tasks.clear()

    return begin, end


def _controls(on: dict[str, object], off: dict[str, object]) -> tuple[Action, Action]:
    async def begin(stack: LocalStack) -> None:
        await _partner(stack, **on)

    async def end(stack: LocalStack) -> None:
        await _partner(stack, **off)

    return begin, end


def actions(kind: str, sagas: int) -> tuple[Action, Action]:
    """The begin and end of one fault kind (a fresh pair per window)."""
    if kind == "worker_kill":
        return _crash("loyalty worker", "worker", signal.SIGKILL)
    if kind == "temporal_restart":
        return _crash("server start-dev", "temporal", signal.SIGTERM)
    if kind == "pg_terminate":
        return _pg_terminator()
    if kind == "partner_503":
        return _controls(
            {"issue": {"error_rate": 0.3}, "void": {"error_rate": 0.3}},
            {"issue": {"error_rate": 0.0}, "void": {"error_rate": 0.0}},
        )
    if kind == "partner_timeout":  # hangs past the client's 2 s read timeout
        return _controls(
            {"issue": {"timeout": True, "hang_ms": 3_000}}, {"issue": {"timeout": False}}
        )
    if kind == "lost_answers":  # committed at the partner, answer lost
        lost = max(3, sagas // 40)
        return _controls(
            {"issue": {"fail_after_commit": lost}, "void": {"fail_after_commit": 1}},
            {"issue": {"fail_after_commit": 0}, "void": {"fail_after_commit": 0}},
        )
    if kind == "partner_outage":  # the partner refuses every issue for good (422)
        return _controls(
            {"issue": {"fail_permanently": True}}, {"issue": {"fail_permanently": False}}
        )
    raise ValueError(f"unknown fault {kind!r}")


KINDS = (
    "worker_kill",
    "partner_503",
    "partner_timeout",
    "lost_answers",
    "partner_outage",
    "pg_terminate",
    "temporal_restart",
)


@dataclass(frozen=True)
class Window:
    kind: str
    start: float
    stop: float
    min_s: float = 3.0
    max_s: float = 10.0  # a stalled run (every slot retrying) must not hold a window open


# One after another and overlapping; crash faults have no stop (they end on restart).
DEFAULT_SCHEDULE = (
    Window("partner_503", 0.04, 0.25),
    Window("worker_kill", 0.14, 0.14),
    Window("partner_timeout", 0.28, 0.36),
    Window("pg_terminate", 0.33, 0.45),
    Window("lost_answers", 0.45, 0.60),
    Window("temporal_restart", 0.55, 0.55),
    Window("partner_outage", 0.66, 0.76),
    Window("worker_kill", 0.72, 0.72),
    Window("pg_terminate", 0.84, 0.90),
)


def schedule(kinds: set[str]) -> list[Window]:
    """The default schedule restricted to ``kinds``."""
    unknown = kinds - set(KINDS)
    if unknown:
        raise ValueError(f"unknown faults: {sorted(unknown)}; known: {', '.join(KINDS)}")
    return [w for w in DEFAULT_SCHEDULE if w.kind in kinds]


@dataclass
class Injector:
    """Opens and closes the windows as the run progresses; records when each was open."""

    stack: LocalStack
    windows: list[Window]
    sagas: int
    intervals: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    async def run(self, progress: Callable[[], float], log: Callable[[str], None]) -> None:
        """Inject every window in order (they may overlap); return when all are closed."""
        await asyncio.gather(*(self._one(w, progress, log) for w in self.windows))

    async def _one(
        self, window: Window, progress: Callable[[], float], log: Callable[[str], None]
    ) -> None:
        begin, end = actions(window.kind, self.sagas)
        while progress() < window.start:
            await asyncio.sleep(0.1)
        opened = time.monotonic()
        log(f"fault {window.kind}: on")
        await begin(self.stack)
        while True:
            lasted = time.monotonic() - opened
            if lasted >= window.max_s or (progress() >= window.stop and lasted >= window.min_s):
                break
            await asyncio.sleep(0.1)
        await end(self.stack)
        closed = time.monotonic()
        log(f"fault {window.kind}: off after {closed - opened:.1f}s")
        self.intervals.setdefault(window.kind, []).append((opened, closed))

"""Fault injection around the real activities, for tests that must break the saga.

An activity interceptor (not a fake activity): the real activity runs unless a
fault says otherwise, so what lands in PostgreSQL or at the partner is real.

- ``fail(name)``: the activity refuses, non-retryable, before doing anything
  (``failing(name)``: for a block).
- ``lose_completion(name, times)``: the activity runs and commits, then its
  completion is lost (a retryable error) ``times`` times, as after a crash
  between the write and the answer.
- ``lose_for_good(name)``: the activity runs and commits, then fails for good
  (non-retryable), as when a step gives up with its outcome unknown.
- ``delay(name, seconds)``: the activity starts late, to widen a race window.
- ``delay_answer(name, seconds)``: the activity runs and commits, then answers
  late, as when a cancel arrives between a write and its answer.

``calls`` counts attempts started and ``finished`` attempts ended (either way),
so a test can wait for a delayed activity to have really run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)


@dataclass
class Faults(Interceptor):
    permanent: set[str] = field(default_factory=set)
    lost: Counter[str] = field(default_factory=Counter)
    lost_for_good: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    finished: Counter[str] = field(default_factory=Counter)
    delays: dict[str, float] = field(default_factory=dict)
    answer_delays: dict[str, float] = field(default_factory=dict)

    def fail(self, name: str) -> None:
        self.permanent.add(name)

    def heal(self, name: str) -> None:
        self.permanent.discard(name)

    @contextlib.contextmanager
    def failing(self, name: str) -> Iterator[None]:
        """``fail(name)`` for the block, healed after it whatever happens."""
        self.fail(name)
        try:
            yield
        finally:
            self.heal(name)

    def lose_completion(self, name: str, times: int = 1) -> None:
        self.lost[name] = times

    def lose_for_good(self, name: str) -> None:
        self.lost_for_good.add(name)

    def delay(self, name: str, seconds: float) -> None:
        self.delays[name] = seconds

    def delay_answer(self, name: str, seconds: float) -> None:
        self.answer_delays[name] = seconds

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next, self)


class _Inbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, faults: Faults) -> None:
        super().__init__(next)
        self._faults = faults

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        name = activity.info().activity_type
        self._faults.calls[name] += 1
        try:
            return await self._run(name, input)
        finally:
            self._faults.finished[name] += 1

    async def _run(self, name: str, input: ExecuteActivityInput) -> Any:
        await asyncio.sleep(self._faults.delays.get(name, 0.0))
        if name in self._faults.permanent:
            raise ApplicationError(
                f"injected permanent failure of {name}", type="injected", non_retryable=True
            )
        result = await self.next.execute_activity(input)
        await asyncio.sleep(self._faults.answer_delays.get(name, 0.0))
        if name in self._faults.lost_for_good:
            raise ApplicationError(
                f"injected: {name} committed, then gave up",
                type="injected_unknown",
                non_retryable=True,
            )
        if self._faults.lost[name] > 0:
            self._faults.lost[name] -= 1
            raise ApplicationError(f"injected lost completion of {name}", type="injected_lost")
        return result

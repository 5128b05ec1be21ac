"""A compensation stack: register undo steps as the saga advances, run them in reverse.

Each compensation is itself an idempotent activity, retried by its policy; one
that still fails does not stop the others. The failed ones stay on the stack,
so an operator's retry runs exactly those again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ActivityError

from loyalty.contracts.redemption import Step
from loyalty.workflows.options import COMPENSATION


@dataclass(frozen=True)
class Compensation:
    step: Step
    activity: str
    argument: BaseModel


class CompensationStack:
    def __init__(self) -> None:
        self._pending: list[Compensation] = []

    def register(self, step: Step, activity: str, argument: BaseModel) -> None:
        self._pending.append(Compensation(step, activity, argument))

    async def unwind(self, on_done: Callable[[Step, str, str], None]) -> list[Step]:
        """Run pending compensations newest first; return the steps that still failed."""
        failed: list[Compensation] = []
        for compensation in reversed(self._pending):
            try:
                await workflow.execute_activity(
                    compensation.activity, compensation.argument, **COMPENSATION.kwargs()
                )
            except ActivityError as error:
                failed.append(compensation)
                on_done(compensation.step, "failed", str(error.cause or error))
            else:
                on_done(compensation.step, "compensated", "")
        self._pending = list(reversed(failed))
        return [c.step for c in failed]

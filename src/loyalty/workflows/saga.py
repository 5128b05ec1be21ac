"""What the long workflows share: steps with recorded outcomes, status, visibility, compensation.

:class:`Saga` is the platform half of a workflow whose state records every
step: run an activity as a step, record its outcome with the time, turn a
business refusal into :class:`Ended` and a cancellation into
``asyncio.CancelledError``, keep the search attributes and the memo in step
with the state. The workflow keeps the business half: which steps, in which
order, and what a result means.

:class:`CompensationStack` registers undo steps as a saga advances and runs
them in reverse.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    FailureError,
    is_cancelled_exception,
)

from loyalty.contracts.redemption import Step
from loyalty.workflows.activity_errors import is_refusal, reason_of, reasons_of
from loyalty.workflows.options import COMPENSATION, StepOptions

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")


async def call(activity: str, argument: BaseModel, result: type[T], options: StepOptions) -> T:
    """Run one activity for a workflow without a recorded saga (refund, accrual).

    A failure the activity reported (an ``ApplicationError``, after its retries)
    fails the workflow with the same type and details, not retried again.
    """
    try:
        value: T = await workflow.execute_activity(
            activity, argument, result_type=result, **options.kwargs()
        )
    except ActivityError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            raise ApplicationError(
                cause.message, *cause.details, type=cause.type, non_retryable=True
            ) from error
        raise
    return value


class Ended(Exception):
    """The workflow ends here with ``status`` and these reasons."""

    def __init__(self, reasons: list[str], *, status: StrEnum) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons
        self.status = status


class TrackedState(Protocol):
    """A workflow state that records its steps and shows itself in the Temporal UI."""

    status: Any
    current_step: Any
    steps: list[Any]
    finished_at: dt.datetime | None

    def summary(self) -> str: ...

    def search_attributes(self) -> list[SearchAttributeUpdate[Any]]: ...


class Saga:
    """Steps, outcomes, status and visibility of one workflow's ``state``.

    Args:
        state: The workflow's state, changed in place.
        outcome: Builds one recorded outcome (``step``, ``status``, ``at``, ``detail``).
    """

    def __init__(self, state: TrackedState, *, outcome: Callable[..., Any]) -> None:
        self._state = state
        self._outcome = outcome

    def record(self, step: StrEnum, status: str, detail: str = "") -> None:
        self._state.steps.append(
            self._outcome(step=step, status=status, at=workflow.now(), detail=detail)
        )

    def set_status(self, status: StrEnum, step: StrEnum | None = None) -> None:
        self._state.status = status
        if step is not None:
            self._state.current_step = step
        self.publish()

    def finish(self, status: StrEnum) -> None:
        self._state.current_step = None
        self._state.finished_at = workflow.now()
        self.set_status(status)

    def publish(self) -> None:
        """Keep the search attributes and the memo in step with the state."""
        workflow.upsert_search_attributes(self._state.search_attributes())
        workflow.upsert_memo({"summary": self._state.summary()})

    async def step(
        self,
        step: StrEnum,
        activity: str,
        argument: BaseModel,
        result: type[T],
        options: StepOptions,
        *,
        refused: StrEnum,
        failed: StrEnum,
        wait_for_cancellation: bool = False,
        local: bool = False,
    ) -> T:
        """Run ``activity`` as ``step`` and record its outcome.

        With ``wait_for_cancellation``, a workflow cancel waits for the activity
        to end; if it ended well, its value is returned (the caller decides).
        With ``local``, it runs as a local activity: in the worker that runs the
        workflow task, with no activity task round trip through the server (for
        read-only steps only: a local activity may run again after a worker crash).

        Raises:
            Ended: with ``refused`` for a business refusal, ``failed`` for any
                other failure (after the activity's retries), and the reasons.
            asyncio.CancelledError: the activity was cancelled with the workflow.
        """
        self._state.current_step = step
        kwargs = options.kwargs(wait_for_cancellation=wait_for_cancellation)
        try:
            if local:
                kwargs.pop("heartbeat_timeout", None)  # local activities do not heartbeat
                value: T = await workflow.execute_local_activity(
                    activity, argument, result_type=result, **kwargs
                )
            else:
                value = await workflow.execute_activity(
                    activity, argument, result_type=result, **kwargs
                )
        except FailureError as error:  # a local activity's failure arrives bare
            if is_cancelled_exception(error):
                self.record(step, "failed", "cancelled")
                raise asyncio.CancelledError() from error
            self.record(step, "failed", reason_of(error))
            status = refused if is_refusal(error) else failed
            raise Ended(reasons_of(error), status=status) from error
        self.record(step, "ok")
        return value


async def uncancellable(
    awaitable: Awaitable[R], *, on_cancel: Callable[[], None] | None = None
) -> R:
    """Await to the end even if the workflow is cancelled meanwhile.

    For what must not be interrupted: everything from the capture (the point of
    no return) on, and the whole unwind. The awaitable runs as a task of its
    own, so no cancel request reaches its activities, not even one that would
    land in the very activation an activity completes (the SDK raises then);
    ``on_cancel`` is told of each workflow cancel that arrived.
    """
    task = asyncio.ensure_future(awaitable)
    while True:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if (current := asyncio.current_task()) is not None:
                current.uncancel()
            if on_cancel is not None:
                on_cancel()


@dataclass(frozen=True)
class Compensation:
    step: Step
    activity: str
    argument: BaseModel


class CompensationStack:
    """Each compensation is itself an idempotent activity, retried by its policy.

    Compensations run newest first. In the careful mode (``stop_at_failure``)
    the first one that still fails stops the unwind: its effect is unknown (a
    void that failed after a fulfilment whose answer was lost), so the older
    ones wait behind it (the hold stays) until an operator retries or
    resolves; a member never has both the points and a live voucher. Runs
    started before the safe-cancellation patch keep going past a failure.
    What is still owed stays on the stack, so a retry runs exactly that.
    """

    def __init__(self) -> None:
        self._pending: list[Compensation] = []

    def register(self, step: Step, activity: str, argument: BaseModel) -> None:
        self._pending.append(Compensation(step, activity, argument))

    async def unwind(
        self,
        on_done: Callable[[Step, str, str], None],
        *,
        options: StepOptions = COMPENSATION,
        stop_at_failure: bool = False,
    ) -> list[Step]:
        """Run what is owed, newest first; return the steps still owed, newest first."""
        owed: list[Compensation] = []
        for compensation in reversed(self._pending):
            if owed and stop_at_failure:
                owed.append(compensation)
                continue
            try:
                await workflow.execute_activity(
                    compensation.activity, compensation.argument, **options.kwargs()
                )
            except ActivityError as error:
                owed.append(compensation)
                on_done(compensation.step, "failed", str(error.cause or error))
            else:
                on_done(compensation.step, "compensated", "")
        self._pending = list(reversed(owed))
        return [c.step for c in owed]

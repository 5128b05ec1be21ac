"""The worker's activity interceptor: log context, step latency and business series.

It wraps every activity (``worker.build_worker`` puts it first, so it sees
what later interceptors inject). For the duration of an activity it binds the
workflow id, run id, activity type and, when the payload names one, the member
id to the log context; the SDK copies that context into the thread a
synchronous activity runs in, so every line the activity writes carries them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError, is_cancelled_exception
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from loyalty.observability import business


class ActivityObserver(Interceptor):
    """Observe every activity of the worker it is given to."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Observed(next)


class _Observed(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        meter = activity.metric_meter()
        started = time.monotonic()
        with structlog.contextvars.bound_contextvars(**log_context(info, input.args)):
            try:
                result = await self.next.execute_activity(input)
            except BaseException as error:
                _record_duration(info, started, failure_kind(error))
                business.on_failure(meter, info)
                raise
        _record_duration(info, started, "ok")
        business.on_success(meter, info, input.args, result)
        return result


def log_context(info: activity.Info, args: Sequence[Any]) -> dict[str, str]:
    """Ids that every log line of this activity carries (ids only, never payload text)."""
    context = {
        "workflow_id": info.workflow_id or "",
        "run_id": info.workflow_run_id or "",
        "activity": info.activity_type,
    }
    member = member_of(args)
    if member:
        context["member_id"] = member
    return context


def member_of(args: Sequence[Any]) -> str | None:
    """The member an activity is about, if its payload (or the state it carries) says."""
    for arg in args:
        for holder in (arg, getattr(arg, "state", None)):
            member = getattr(holder, "member_id", None)
            if isinstance(member, str) and member:
                return member
    return None


def failure_kind(error: BaseException) -> str:
    """``cancelled``, ``refused`` (a non-retryable business answer) or ``error`` (retried)."""
    if isinstance(error, asyncio.CancelledError) or is_cancelled_exception(error):
        return "cancelled"
    if isinstance(error, ApplicationError) and error.non_retryable:
        return "refused"
    return "error"


def _record_duration(info: activity.Info, started: float, result: str) -> None:
    activity.metric_meter().create_histogram_timedelta(
        business.STEP_DURATION, "Activity (saga step) duration by result", "s"
    ).record(
        timedelta(seconds=time.monotonic() - started),
        {"workflow_type": info.workflow_type or "", "result": result},
    )

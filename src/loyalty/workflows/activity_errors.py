"""Read an activity failure: was it a business refusal, and what were its reasons?

Activities raise refusals as non-retryable ``ApplicationError`` whose details
carry ``{"code", "reasons"}`` (see ``loyalty.activities.errors``).
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ActivityError, ApplicationError, FailureError


def _cause(error: FailureError) -> BaseException | None:
    """What the activity raised: inside an ActivityError, or bare (a local activity's failure)."""
    return error.cause if isinstance(error, ActivityError) else error


def is_refusal(error: FailureError) -> bool:
    cause = _cause(error)
    return isinstance(cause, ApplicationError) and cause.non_retryable


def reason_of(error: FailureError) -> str:
    cause = _cause(error)
    return str(cause.message if isinstance(cause, ApplicationError) else cause or error)


def reasons_of(error: FailureError) -> list[str]:
    cause = _cause(error)
    if isinstance(cause, ApplicationError) and cause.details:
        details: Any = cause.details[0]
        if isinstance(details, dict) and details.get("reasons"):
            return [str(r) for r in details["reasons"]]
    return [reason_of(error)]

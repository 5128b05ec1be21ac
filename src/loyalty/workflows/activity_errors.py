"""Read an activity failure: was it a business refusal, and what were its reasons?

Activities raise refusals as non-retryable ``ApplicationError`` whose details
carry ``{"code", "reasons"}`` (see ``loyalty.activities.errors``).
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ActivityError, ApplicationError


def is_refusal(error: ActivityError) -> bool:
    cause = error.cause
    return isinstance(cause, ApplicationError) and cause.non_retryable


def reason_of(error: ActivityError) -> str:
    cause = error.cause
    return str(cause.message if isinstance(cause, ApplicationError) else cause or error)


def reasons_of(error: ActivityError) -> list[str]:
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.details:
        details: Any = cause.details[0]
        if isinstance(details, dict) and details.get("reasons"):
            return [str(r) for r in details["reasons"]]
    return [reason_of(error)]

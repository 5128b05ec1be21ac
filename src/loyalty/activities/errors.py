"""Map the product's error tree onto Temporal's retry semantics, in one place.

Business refusals, bad input, conflicts and wrong states become non-retryable
``ApplicationError``s whose ``type`` is the error's stable ``code`` and whose
details carry the reasons, so the workflow can report them. ``UnavailableError``
(and anything unexpected) propagates unchanged: Temporal retries it with backoff.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from loyalty.errors import LoyaltyError, UnavailableError

P = ParamSpec("P")
R = TypeVar("R")


def refusal(error: LoyaltyError) -> ApplicationError:
    return ApplicationError(
        error.message,
        {"code": error.code, "reasons": error.reasons},
        type=error.code,
        non_retryable=True,
    )


def business_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate an activity so refusals stop retries and infrastructure faults do not."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except UnavailableError:
            raise
        except LoyaltyError as error:
            raise refusal(error) from error

    return wrapper

"""The one exception handler: every error becomes ``{"error": {code, message, details}}``.

The API adds five leaves to the product's error tree (``loyalty.errors``)::

    LoyaltyError
     ├── NotAuthenticatedError   401  missing, expired or forged token
     ├── PermissionDeniedError   403  wrong role, or another member's data
     ├── RateLimitedError        429  too many requests for this token (Retry-After)
     ├── PayloadTooLargeError    413  body over settings.max_body_bytes
     └── InvalidStateError
          └── TooLateError       409  cancel after the point of no return

Request validation errors become 422 naming each field; Temporal and
pydantic errors that reach here are mapped too, so a client mistake is never a 500; a lost
Temporal or PostgreSQL connection is a 503 to retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pydantic
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from loyalty import errors

log = structlog.get_logger(__name__)


class NotAuthenticatedError(errors.LoyaltyError):
    code = "not_authenticated"


class PermissionDeniedError(errors.LoyaltyError):
    code = "forbidden"


class RateLimitedError(errors.LoyaltyError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLargeError(errors.LoyaltyError):
    code = "payload_too_large"


class TooLateError(errors.InvalidStateError):
    code = "too_late"


class FieldError(errors.ValidationError):
    """Bad input found after schema validation; names the field like a 422 from the schema."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_STATUS: Sequence[tuple[type[errors.LoyaltyError], int]] = (
    (NotAuthenticatedError, 401),
    (PermissionDeniedError, 403),
    (errors.NotFoundError, 404),
    (errors.IdempotencyConflictError, 409),
    (errors.InvalidStateError, 409),
    (PayloadTooLargeError, 413),
    (errors.ValidationError, 422),
    (errors.BusinessRefusal, 422),
    (RateLimitedError, 429),
    (errors.UnavailableError, 503),
)

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


NOT_ALLOWED = "not_allowed"  # an update validator's separation-of-duties refusal


def from_application_error(cause: BaseException | None) -> errors.LoyaltyError:
    """Turn a workflow's or activity's typed refusal back into the error tree."""
    if not isinstance(cause, ApplicationError):
        return errors.InvalidStateError(str(cause) if cause else "the workflow refused")
    if cause.type == NOT_ALLOWED:
        return PermissionDeniedError(cause.message)
    kinds = (
        errors.NotFoundError,
        errors.ValidationError,
        errors.IdempotencyConflictError,
        errors.InsufficientPointsError,
        errors.NotEligibleError,
        errors.FraudDeniedError,
        errors.OutOfStockError,
        TooLateError,
    )
    kind = next((k for k in kinds if k.code == cause.type), errors.InvalidStateError)
    return kind(cause.message)


def error_body(code: str, message: str, details: list[dict[str, str]] | None = None) -> Any:
    return {"error": {"code": code, "message": message, "details": details or []}}


def _loyalty(error: errors.LoyaltyError) -> JSONResponse:
    status = next((s for cls, s in _STATUS if isinstance(error, cls)), 500)
    field = error.field if isinstance(error, FieldError) else ""
    details = [{"field": field, "reason": r} for r in error.reasons]
    headers: dict[str, str] = {}
    if isinstance(error, RateLimitedError):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, NotAuthenticatedError):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(error_body(error.code, error.message, details), status, headers=headers)


def _field(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts)


def _validation(problems: Sequence[Any]) -> JSONResponse:
    details = [
        {"field": _field(p.get("loc", ())), "reason": str(p.get("msg", ""))} for p in problems
    ]
    fields = ", ".join(d["field"] for d in details if d["field"]) or "the request"
    return JSONResponse(error_body("invalid_input", f"invalid {fields}", details), 422)


def _http(error: StarletteHTTPException) -> JSONResponse:
    if error.status_code == 400:  # FastAPI's "error parsing the body": undecodable bytes
        return _validation([{"loc": ("body",), "msg": str(error.detail)}])
    code = _HTTP_CODES.get(error.status_code, "http_error")
    return JSONResponse(
        error_body(code, str(error.detail)), error.status_code, headers=error.headers
    )


async def handle_error(request: Request, error: Exception) -> JSONResponse:
    """The one handler: the error tree, validation, HTTP and Temporal errors → one shape."""
    if isinstance(error, errors.LoyaltyError):
        return _loyalty(error)
    if isinstance(error, RequestValidationError):
        return _validation(error.errors())
    if isinstance(error, pydantic.ValidationError):
        return _validation(error.errors())
    if isinstance(error, StarletteHTTPException):
        return _http(error)
    if isinstance(error, RPCError):
        log.warning("temporal_unavailable", error=str(error))
        return _loyalty(errors.UnavailableError("the workflow service is unavailable"))
    if isinstance(error, OperationalError):  # e.g. the backend was terminated mid-request
        log.warning("database_unavailable", error=str(error.orig))
        return _loyalty(errors.UnavailableError("the database is unavailable"))
    log.exception("unhandled_error", path=request.url.path)
    return JSONResponse(error_body("internal_error", "internal server error"), 500)


def install(app: FastAPI) -> None:
    for kind in (
        errors.LoyaltyError,
        RequestValidationError,
        pydantic.ValidationError,
        StarletteHTTPException,
        RPCError,
        OperationalError,
        Exception,
    ):
        app.add_exception_handler(kind, handle_error)

"""Synchronous client of the partner fulfillment API, made to be called from activities.

Layers, outermost first:

1. **Circuit breaker** (``circuitbreaker``): once the partner has failed
   ``failure_threshold`` calls in a row, calls fail fast with
   :class:`PartnerCircuitOpenError` instead of tying up activity threads.
2. **Retries** (``stamina``): connection errors, timeouts, 5xx and 429 are
   retried with exponential backoff, bounded in attempts and total time.
   Retrying a POST is safe only because every request carries the caller's
   idempotency key: a retry after a lost answer returns the same voucher.
3. **httpx** with explicit connect/read timeouts.

Answers map to the partner error tree (:mod:`loyalty.partners.errors`):
400/422 → :class:`PartnerRejectedError` (never retried), 409 →
:class:`PartnerConflictError`, anything else that is not a success →
:class:`PartnerUnavailableError`, which Temporal keeps retrying.

The client is synchronous because activities run in a thread pool; one
instance is shared by the worker's threads (httpx.Client is thread-safe). The
breaker's counters are not locked: under concurrency it may open one failure
late, which is harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Self, TypeVar

import httpx
import stamina
import structlog
from circuitbreaker import CircuitBreaker
from pydantic import BaseModel, ValidationError

from loyalty.partners.errors import (
    PartnerCircuitOpenError,
    PartnerConflictError,
    PartnerRejectedError,
    PartnerUnavailableError,
)
from loyalty.partners.models import (
    IssueVoucherRequest,
    PartnerErrorBody,
    VoidResult,
    VoidVoucherRequest,
    Voucher,
)
from loyalty.partners.policies import BreakerPolicy, PartnerTimeouts, RetryPolicy

_M = TypeVar("_M", bound=BaseModel)
_log = structlog.get_logger(__name__)

_TRANSIENT_TRANSPORT_ERRORS = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
_REJECTION_STATUSES = frozenset({400, 422})


class _TransientStatus(Exception):
    """A 5xx or 429 answer: worth another attempt. Never leaves this module."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"partner answered {response.status_code}")
        self.response = response
        self.retry_after = _retry_after_seconds(response)


def _retry_after_seconds(response: httpx.Response) -> float | None:
    try:
        return max(float(response.headers["Retry-After"]), 0.0)
    except (KeyError, ValueError):
        return None  # absent, or an HTTP date: fall back to our own backoff


def _error_body(response: httpx.Response) -> PartnerErrorBody:
    try:
        return PartnerErrorBody.model_validate_json(response.content)
    except ValidationError:
        return PartnerErrorBody(error=f"http_{response.status_code}", message=response.text[:200])


class PartnerClient:
    """Issues and voids reward vouchers at the partner, with timeouts, retries and a breaker.

    Args:
        base_url: the partner API root, e.g. ``http://127.0.0.1:8100``.
        timeouts: connect/read timeouts per HTTP request.
        retry: in-call retry policy; defaults to ``RetryPolicy()``.
        breaker: circuit breaker policy; defaults to ``BreakerPolicy()``.
        headers: extra headers on every request (e.g. the partner's API key).
        transport: an httpx transport, for tests (``httpx.MockTransport``).
    """

    def __init__(
        self,
        *,
        base_url: str,
        timeouts: PartnerTimeouts,
        retry: RetryPolicy | None = None,
        breaker: BreakerPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._retry = retry or RetryPolicy()
        breaker = breaker or BreakerPolicy()
        self._http = httpx.Client(
            base_url=base_url, timeout=timeouts.to_httpx(), headers=headers, transport=transport
        )
        self._retrying = stamina.RetryingCaller(
            attempts=self._retry.attempts,
            timeout=self._retry.total_timeout,
            wait_initial=self._retry.wait_initial,
            wait_max=self._retry.wait_max,
            wait_jitter=self._retry.wait_jitter,
        ).on(self._should_retry)
        # Used as an object, not as a decorator: the decorator registers every breaker
        # in a process-wide monitor keyed by name, and we want per-client state.
        self._breaker = CircuitBreaker(
            failure_threshold=breaker.failure_threshold,
            recovery_timeout=breaker.recovery_timeout,
            expected_exception=PartnerUnavailableError,
            name=f"partner:{base_url}",
        )

    def issue_voucher(
        self, request: IssueVoucherRequest, *, on_attempt: Callable[[], None] | None = None
    ) -> Voucher:
        """Issue a voucher, or return the one already issued under the same key.

        ``on_attempt`` runs before every HTTP attempt (a Temporal activity
        heartbeats there, so a long call with retries stays visibly alive).

        Raises:
            PartnerRejectedError: the partner refused (not retryable).
            PartnerConflictError: the key was used with another body, or voided first.
            PartnerUnavailableError: transient failures outlived the retries, or breaker open.
        """
        return self._call("/vouchers", request, Voucher, on_attempt)

    def void_voucher(
        self,
        idempotency_key: str,
        *,
        units: int | None = None,
        request_key: str | None = None,
        on_attempt: Callable[[], None] | None = None,
    ) -> VoidResult:
        """Void the live units of the voucher issued under ``idempotency_key``.

        Without ``units`` every live unit is voided (``not_found`` if no voucher was
        issued); with ``units``, that many, deduplicated on ``request_key``.

        Raises:
            PartnerRejectedError: the partner refused, e.g. ``voucher_used``: the
                units are no longer live (not retryable).
            PartnerUnavailableError: transient failures outlived the retries, or breaker open.
        """
        body = VoidVoucherRequest(
            idempotency_key=idempotency_key, units=units, request_key=request_key
        )
        return self._call("/vouchers/void", body, VoidResult, on_attempt)

    @property
    def breaker_state(self) -> str:
        """``closed``, ``open`` or ``half_open``, for health checks and tests."""
        return str(self._breaker.state)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self,
        path: str,
        body: BaseModel,
        result_type: type[_M],
        on_attempt: Callable[[], None] | None,
    ) -> _M:
        if self._breaker.opened:
            raise PartnerCircuitOpenError(
                f"partner circuit open for {self._breaker.open_remaining}s more; call not sent"
            )
        # The breaker counts PartnerUnavailableError only; any other outcome closes it.
        with self._breaker:
            # Optional fields left unset are not sent, so partners without them still agree.
            response = self._send(path, body.model_dump(mode="json", exclude_none=True), on_attempt)
            return self._parse(response, result_type)

    def _send(
        self, path: str, payload: dict[str, object], on_attempt: Callable[[], None] | None
    ) -> httpx.Response:
        try:
            return self._retrying(self._attempt, path, payload, on_attempt)
        except _TransientStatus as exc:
            status = exc.response.status_code
            _log.warning("partner.unavailable", path=path, status=status)
            raise PartnerUnavailableError(
                f"partner answered {status} on {path} after retries", status_code=status
            ) from exc
        except httpx.TransportError as exc:
            _log.warning("partner.unreachable", path=path, error=type(exc).__name__)
            raise PartnerUnavailableError(
                f"partner unreachable on {path}: {type(exc).__name__}"
            ) from exc

    def _attempt(
        self, path: str, payload: dict[str, object], on_attempt: Callable[[], None] | None
    ) -> httpx.Response:
        if on_attempt is not None:
            on_attempt()
        response = self._http.post(path, json=payload)
        if response.status_code == 429 or response.status_code >= 500:
            raise _TransientStatus(response)
        return response

    def _should_retry(self, exc: Exception) -> bool | float:
        """stamina backoff hook: retry transient errors, honouring a capped Retry-After."""
        if isinstance(exc, _TransientStatus):
            if exc.retry_after is not None:
                return min(exc.retry_after, self._retry.wait_max)
            return True
        return isinstance(exc, _TRANSIENT_TRANSPORT_ERRORS)

    def _parse(self, response: httpx.Response, result_type: type[_M]) -> _M:
        status = response.status_code
        if response.is_success:
            try:
                return result_type.model_validate_json(response.content)
            except ValidationError as exc:
                raise PartnerUnavailableError(
                    f"partner sent a malformed {result_type.__name__}", status_code=status
                ) from exc
        error = _error_body(response)
        if status in _REJECTION_STATUSES:
            raise PartnerRejectedError(
                error.message or error.error, partner_code=error.error, status_code=status
            )
        if status == 409:
            raise PartnerConflictError(error.message or error.error, partner_code=error.error)
        # 401/403/404 and the like: our configuration is wrong, not the member's request;
        # an operator can fix it, so it stays retryable at the Temporal level.
        raise PartnerUnavailableError(
            f"partner answered {status} ({error.error})", status_code=status
        )

"""Resilience settings of the partner client: timeouts, retries, circuit breaker.

Values come from configuration (``loyalty.config``) and are handed to
:class:`~loyalty.partners.client.PartnerClient`; the defaults here are a
documented starting point, and tests pass tiny values to stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True, kw_only=True)
class PartnerTimeouts:
    """Per-request timeouts in seconds; ``write``/``pool`` default to ``read``/``connect``."""

    connect: float
    read: float
    write: float | None = None
    pool: float | None = None

    def __post_init__(self) -> None:
        if self.connect <= 0 or self.read <= 0:
            raise ValueError("partner timeouts must be positive")

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect,
            read=self.read,
            write=self.write if self.write is not None else self.read,
            pool=self.pool if self.pool is not None else self.connect,
        )


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """In-call retries of transient failures (stamina: exponential backoff plus jitter).

    Attributes:
        attempts: total tries, the first included.
        total_timeout: stop retrying once this many seconds have passed since the first try.
        wait_initial: first backoff, in seconds.
        wait_max: cap of one backoff, also the cap applied to a partner's ``Retry-After``.
        wait_jitter: random extra of up to this many seconds per backoff.
    """

    attempts: int = 3
    total_timeout: float = 10.0
    wait_initial: float = 0.2
    wait_max: float = 2.0
    wait_jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.total_timeout <= 0:
            raise ValueError("retry policy needs attempts >= 1 and a positive total_timeout")


@dataclass(frozen=True, kw_only=True)
class BreakerPolicy:
    """Circuit breaker: open after ``failure_threshold`` consecutive failed calls.

    A failed call is one that ended in ``PartnerUnavailableError`` after its
    retries; rejections and conflicts prove the partner is alive and close the
    circuit. After ``recovery_timeout`` seconds one call is let through
    (half-open): success closes the circuit, failure re-opens it.
    """

    failure_threshold: int = 5
    recovery_timeout: float = 30.0

    def __post_init__(self) -> None:
        # circuitbreaker treats 0 as "use the default", so refuse it explicitly.
        if self.failure_threshold < 1 or self.recovery_timeout <= 0:
            raise ValueError("breaker policy needs failure_threshold >= 1, recovery_timeout > 0")

"""Errors of the partner fulfillment client.

    LoyaltyError
     ├── BusinessRefusal
     │    └── PartnerRejectedError       the partner said no (400/422): never retry
     ├── IdempotencyConflictError
     │    └── PartnerConflictError       key reused with another body, or key already voided
     └── UnavailableError
          └── PartnerUnavailableError    transient failures outlived our retries, the
               │                         partner answered nonsense, or auth/config broke
               └── PartnerCircuitOpenError   the breaker is open: failed fast, nothing sent

``PartnerUnavailableError`` sits in the ``UnavailableError`` branch, the one
branch the activity layer leaves retryable: an unavailable partner is an
infrastructure fault that Temporal keeps retrying with backoff.
"""

from __future__ import annotations

from loyalty.errors import BusinessRefusal, IdempotencyConflictError, UnavailableError


class PartnerRejectedError(BusinessRefusal):
    """The partner refused the request for a business reason; retrying cannot help.

    Attributes:
        partner_code: the partner's own error code (e.g. ``reward_unavailable``).
        status_code: the HTTP status the partner answered.
    """

    code = "partner_rejected"

    def __init__(
        self,
        message: str,
        *,
        partner_code: str,
        status_code: int,
        reasons: list[str] | None = None,
    ) -> None:
        super().__init__(message, reasons=reasons)
        self.partner_code = partner_code
        self.status_code = status_code


class PartnerConflictError(IdempotencyConflictError):
    """The idempotency key was already used with another body, or was voided before issue.

    Attributes:
        partner_code: ``idempotency_conflict`` or ``key_voided``.
    """

    code = "partner_conflict"

    def __init__(self, message: str, *, partner_code: str) -> None:
        super().__init__(message)
        self.partner_code = partner_code


class PartnerUnavailableError(UnavailableError):
    """The partner could not be reached or kept failing; retry later (infra, not business)."""

    code = "partner_unavailable"

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class PartnerCircuitOpenError(PartnerUnavailableError):
    """The circuit breaker is open, so the call failed fast without touching the network."""

    code = "partner_circuit_open"

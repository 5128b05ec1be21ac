"""The one error tree of the product.

Every error the product raises on purpose descends from ``LoyaltyError``; the
API maps this tree to HTTP in exactly one handler, the CLI to exit codes, and
activities to Temporal application errors: non-retryable for every branch
but ``UnavailableError``.

    LoyaltyError
     ├── NotFoundError                 unknown member, account, reward, hold, redemption
     ├── ValidationError               input that can never succeed (bad amount, bad state)
     │    ├── api.errors.FieldError          one named request field is wrong (422)
     │    └── agents.ProposalFormatError     a proposer's answer is not a proposal
     ├── IdempotencyConflictError      same idempotency key, different arguments
     │    └── partners.PartnerConflictError  the partner saw the key with another body
     ├── BusinessRefusal               the request is valid but the rules say no
     │    ├── InsufficientPointsError
     │    ├── NotEligibleError
     │    ├── FraudDeniedError
     │    ├── OutOfStockError
     │    ├── LimitExceededError
     │    ├── CapReachedError
     │    └── partners.PartnerRejectedError  the partner said no
     ├── InvalidStateError             the target exists but is in the wrong state
     │    │                            (hold already captured, refund beyond capture, ...)
     │    ├── HoldCancelledError            a hold arrived after its saga released it
     │    └── api.errors.TooLateError        cancel or decide after the point of no return
     ├── UnavailableError              a dependency is down or slow: the only branch
     │    │                            that is worth retrying
     │    └── partners.PartnerUnavailableError (and PartnerCircuitOpenError)
     └── api.errors: NotAuthenticatedError (401), PermissionDeniedError (403),
                     RateLimitedError (429), PayloadTooLargeError (413)

``code`` is the stable machine-readable name; ``reasons`` lists every
human-readable reason, so a refusal explains itself in one round trip.
"""

from __future__ import annotations


class LoyaltyError(Exception):
    """Root of every error the product raises deliberately."""

    code = "loyalty_error"

    def __init__(self, message: str, *, reasons: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reasons = list(reasons) if reasons else [message]


class NotFoundError(LoyaltyError):
    code = "not_found"


class ValidationError(LoyaltyError):
    code = "invalid_input"


class IdempotencyConflictError(LoyaltyError):
    code = "idempotency_conflict"


class InvalidStateError(LoyaltyError):
    code = "invalid_state"


class HoldCancelledError(InvalidStateError):
    """A hold arrived under a key its saga had already released: it is refused."""

    code = "hold_cancelled"


class BusinessRefusal(LoyaltyError):
    code = "refused"


class InsufficientPointsError(BusinessRefusal):
    code = "insufficient_points"


class NotEligibleError(BusinessRefusal):
    code = "not_eligible"


class FraudDeniedError(BusinessRefusal):
    code = "fraud_denied"


class OutOfStockError(BusinessRefusal):
    code = "out_of_stock"


class CapReachedError(BusinessRefusal):
    """A discretionary credit would pass a member's cap or the program's budget (POL-BUDGET-001)."""

    code = "cap_reached"


class PromoCodeUsedError(BusinessRefusal):
    """The member has used a promo code as often as POL-PROMO-001 allows."""

    code = "promo_code_used"


class LimitExceededError(BusinessRefusal):
    """A redemption would pass the member's daily or monthly ceiling (POL-REDEMPTION-001)."""

    code = "limit_exceeded"


class UnavailableError(LoyaltyError):
    """Infrastructure, not business: callers retry with backoff."""

    code = "unavailable"

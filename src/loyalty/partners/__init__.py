"""Partner fulfillment: the client the fulfill/void activities call, and its wire models.

The simulator (:mod:`loyalty.partners.simulator`) is deliberately not
re-exported: the worker should not import FastAPI, and ``python -m`` must be
able to run it as ``__main__``.
"""

from loyalty.partners.client import PartnerClient
from loyalty.partners.errors import (
    PartnerCircuitOpenError,
    PartnerConflictError,
    PartnerRejectedError,
    PartnerUnavailableError,
)
from loyalty.partners.models import (
    IssueVoucherRequest,
    VoidResult,
    VoidVoucherRequest,
    Voucher,
)
from loyalty.partners.policies import BreakerPolicy, PartnerTimeouts, RetryPolicy

__all__ = [
    "BreakerPolicy",
    "IssueVoucherRequest",
    "PartnerCircuitOpenError",
    "PartnerClient",
    "PartnerConflictError",
    "PartnerRejectedError",
    "PartnerTimeouts",
    "PartnerUnavailableError",
    "RetryPolicy",
    "VoidResult",
    "VoidVoucherRequest",
    "Voucher",
]

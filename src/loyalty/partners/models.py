"""Wire models of the partner fulfillment API, shared by the client and the simulator.

These are JSON contracts, not Python conveniences: field names are stable and
documented here so a partner (or a .NET/Java worker) can be written against
them. Responses ignore unknown fields so a partner may add fields without
breaking us.

``POST /vouchers`` takes :class:`IssueVoucherRequest` and answers
:class:`Voucher`; ``POST /vouchers/void`` takes :class:`VoidVoucherRequest`
and answers :class:`VoidResult`; errors answer :class:`PartnerErrorBody`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

IdempotencyKey = Annotated[str, Field(min_length=1, max_length=200)]
"""The caller's key, ``<workflow_id>:<step>``; the partner dedupes on it."""

VoucherStatus = Literal["issued", "voided"]
VoidStatus = Literal["voided", "not_found"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class IssueVoucherRequest(_Wire):
    """Body of ``POST /vouchers``.

    Fields:
        idempotency_key: dedupe key; a repeat with the same body returns the same voucher.
        reward_id: the partner's reward (catalog item) identifier.
        member_id: our member id (an opaque id, never personal data).
        quantity: how many units of the reward, at least 1.
    """

    idempotency_key: IdempotencyKey
    reward_id: str = Field(min_length=1)
    member_id: str = Field(min_length=1)
    quantity: int = Field(ge=1)


class Voucher(_Wire):
    """A voucher as the partner reports it (answer to issue and ``GET /vouchers/{key}``).

    Fields:
        voucher_id: the partner's id for the voucher.
        code: the redeemable code shown to the member.
        status: ``issued`` or ``voided``.
        idempotency_key, reward_id, member_id, quantity: echoed from the issue request.
        issued_at: when the partner committed the voucher (UTC, ISO 8601).
        voided_at: when it was voided, or null.
    """

    voucher_id: str
    code: str
    status: VoucherStatus
    idempotency_key: str
    reward_id: str
    member_id: str
    quantity: int
    issued_at: datetime
    voided_at: datetime | None = None


class VoidVoucherRequest(_Wire):
    """Body of ``POST /vouchers/void``: the key that was (or may have been) used to issue."""

    idempotency_key: IdempotencyKey


class VoidResult(_Wire):
    """Answer to a void.

    Fields:
        idempotency_key: echoed.
        status: ``voided`` (now or earlier) or ``not_found`` (never issued: a no-op
            success, so the saga may register the void before issuing).
        voucher_id: the voided voucher, or null when not found.
        voided_at: when it was voided, or null when not found.
    """

    idempotency_key: str
    status: VoidStatus
    voucher_id: str | None = None
    voided_at: datetime | None = None


class VoucherList(_Wire):
    """Answer to ``GET /vouchers``: every voucher the partner holds, issued or voided."""

    vouchers: list[Voucher]
    count: int


class PartnerErrorBody(_Wire):
    """Body of every error answer.

    Fields:
        error: a stable machine-readable code (``partner_rejected``,
            ``idempotency_conflict``, ``key_voided``, ``unavailable``, ...).
        message: a human-readable explanation.
    """

    error: str
    message: str = ""

"""Wire models of the partner fulfillment API, shared by the client and the simulator.

These are JSON contracts, not Python conveniences: field names are stable and
documented here so a partner (or a .NET/Java worker) can be written against
them. Responses ignore unknown fields so a partner may add fields without
breaking us.

``POST /vouchers`` takes :class:`IssueVoucherRequest` and answers
:class:`Voucher`; ``POST /vouchers/void`` takes :class:`VoidVoucherRequest`
and answers :class:`VoidResult` (all of a voucher's live units, or some of
them for a partial refund); ``GET /vouchers/{key}`` answers :class:`Voucher`,
with how many units were used and voided; errors answer :class:`PartnerErrorBody`
(``voucher_used``: the units asked for are no longer live).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

IdempotencyKey = Annotated[str, Field(min_length=1, max_length=200)]
"""The caller's key, ``<workflow_id>:<step>``; the partner dedupes on it."""

VoucherStatus = Literal["issued", "voided", "used"]
VoidStatus = Literal["voided", "partially_voided", "not_found"]


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
        status: ``issued`` (some units still live), ``voided`` (every unit voided)
            or ``used`` (no unit live, some used).
        idempotency_key, reward_id, member_id, quantity: echoed from the issue request.
        units_used, units_voided: units redeemed by the member, and voided.
        issued_at: when the partner committed the voucher (UTC, ISO 8601).
        voided_at: when a unit was last voided, or null.
    """

    voucher_id: str
    code: str
    status: VoucherStatus
    idempotency_key: str
    reward_id: str
    member_id: str
    quantity: int
    units_used: int = 0
    units_voided: int = 0
    issued_at: datetime
    voided_at: datetime | None = None

    @property
    def live_units(self) -> int:
        """Units the member can still redeem (and that a refund may void)."""
        return self.quantity - self.units_used - self.units_voided


class VoidVoucherRequest(_Wire):
    """Body of ``POST /vouchers/void``.

    Fields:
        idempotency_key: the key that was (or may have been) used to issue.
        units: how many live units to void; null voids every live unit.
        request_key: dedupe key of a partial void (a refund's own key): a repeat
            returns the first answer. Without it, a void of every unit is
            idempotent on the voucher itself.
    """

    idempotency_key: IdempotencyKey
    units: int | None = Field(default=None, ge=1)
    request_key: IdempotencyKey | None = None


class VoidResult(_Wire):
    """Answer to a void.

    Fields:
        idempotency_key: echoed.
        status: ``voided`` (every unit, now or earlier), ``partially_voided`` (the
            units asked for) or ``not_found`` (never issued: a no-op success, so
            the saga may register the void before issuing).
        units_voided: units this request voided (0 when there was nothing to do).
        voucher_id: the voided voucher, or null when not found.
        voided_at: when it was voided, or null when not found.
    """

    idempotency_key: str
    status: VoidStatus
    units_voided: int = 0
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

"""Wire contracts of earning: the Accrual and AccrualReturn workflows and their activities.

Accrual (id ``accrual-integration~<source>~<member_id>~<order_id>``, see
``accrual_workflow_id``): input ``AccrualRequest``; result and query ``state``
-> ``AccrualState``; updates ``recorded`` (``AwaitRecorded`` -> ``AccrualState``,
once the pending points are in the ledger) and ``return_purchase``
(``ReturnPurchase`` -> ``ReturnOutcome``, accepted while the points are pending).

AccrualReturn (id ``accrual-return~<accrual_id>~<return_id>``): a return that
arrives after the Accrual workflow settled and closed; ``AccrualReturnRequest``
-> ``ReturnOutcome``. Both take back points through ``TakeBackAccrual``, whose
key is the return's, so a return sent both ways is posted once. A refused
AccrualReturn posted nothing: the API starts the id again for a corrected retry
(reuse policy ``ALLOW_DUPLICATE_FAILED_ONLY``); a completed one keeps its id.

Amounts are decimal strings in JSON (``"19.99"``): money is never a float.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from loyalty.contracts.base import Contract, Identifier, MutableContract
from loyalty.contracts.redemption import ID_SEPARATOR

ACCRUAL_WORKFLOW = "Accrual"
ACCRUAL_RETURN_WORKFLOW = "AccrualReturn"
UPDATE_RECORDED = "recorded"
UPDATE_RETURN = "return_purchase"

# activities
RECORD_PENDING_ACCRUAL = "RecordPendingAccrual"
SETTLE_ACCRUAL = "SettleAccrual"
TAKE_BACK_ACCRUAL = "TakeBackAccrual"

# An update refused because the points are no longer pending: the caller posts
# the return through an AccrualReturn workflow instead.
NOT_PENDING = "accrual_not_pending"

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")]


def accrual_workflow_id(*, source: str, member_id: str, order_id: str) -> str:
    """``accrual-integration~<source>~<member_id>~<order_id>``.

    Scoped like redemption ids: ``source`` is the integration's token subject,
    so two shops that both number their orders from 1 never meet.
    """
    return ID_SEPARATOR.join(("accrual-integration", source, member_id, order_id))


def accrual_return_workflow_id(accrual_id: str, return_id: str) -> str:
    return ID_SEPARATOR.join(("accrual-return", accrual_id, return_id))


def return_key(accrual_id: str, return_id: str) -> str:
    """The ledger key of one return, whichever workflow posts it."""
    return f"{accrual_id}:return:{return_id}"


class AccrualStatus(StrEnum):
    RECORDING = "recording"
    PENDING = "pending"
    AVAILABLE = "available"
    CANCELLED = "cancelled"  # fully returned while pending
    REVERSED = "reversed"  # fully returned after it became available


class AccrualRequest(Contract):
    """Input of the Accrual workflow: one order reported by a point of sale or a shop."""

    member_id: Identifier
    order_id: Identifier
    amount: Money
    currency: Currency
    source: Identifier = Field(description="The integration's token subject.")
    actor: Identifier


class AwaitRecorded(Contract):
    """Argument of the ``recorded`` update (nothing to say; it waits)."""


class RecordPendingAccrual(Contract):
    accrual_id: str
    member_id: Identifier
    order_id: Identifier
    amount: Money
    currency: Currency
    source: Identifier
    actor: Identifier


class AccrualRecord(Contract):
    """An accrual as the ledger holds it."""

    accrual_id: str
    member_id: str
    order_id: str
    amount: Decimal
    currency: str
    tier: str
    base_points: int
    multiplier: Decimal = Field(description="Tier multiplier plus promotion bonuses, capped.")
    points: int
    capped_by: list[str] = Field(default_factory=list)
    points_before_cap: int | None = Field(
        default=None, description="Without max_points_per_purchase; set only when it capped."
    )
    pending_points: int
    settled_points: int
    taken_back_points: int
    returned_amount: Decimal
    status: AccrualStatus
    available_at: dt.datetime
    settled_at: dt.datetime | None = None


class SettleAccrual(Contract):
    accrual_id: str
    member_id: Identifier


class ReturnPurchase(Contract):
    """A return of all (``amount`` omitted: what is left) or part of an order."""

    return_id: Identifier = Field(description="Idempotency key of the return.")
    amount: Money | None = Field(default=None, gt=0)
    reason: str = Field(default="", max_length=500)
    actor: Identifier


class TakeBack(Contract):
    accrual_id: str
    member_id: Identifier
    return_id: Identifier
    amount: Money | None = None
    reason: str = ""
    actor: Identifier


class ReturnOutcome(Contract):
    """What a return took back: from pending, from available, and what became owed."""

    return_id: str
    amount: Decimal
    points: int
    from_pending: int
    from_available: int
    shortfall: int = Field(description="Points already spent: owed, recovered from future earning.")
    accrual: AccrualRecord
    replayed: bool = False


class AccrualReturnRequest(Contract):
    accrual_id: str
    member_id: Identifier
    return_id: Identifier
    amount: Money | None = None
    reason: str = ""
    actor: Identifier


class AccrualState(MutableContract):
    """Live state (query ``state``) and result of the Accrual workflow."""

    accrual_id: str
    member_id: str
    order_id: str
    status: AccrualStatus = AccrualStatus.RECORDING
    record: AccrualRecord | None = None
    returns: list[ReturnOutcome] = Field(default_factory=list)

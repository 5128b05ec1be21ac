"""What ledger operations and reads return: plain frozen dataclasses, no ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class EntryResult:
    """The entry an operation posted; ``replayed`` is True when a repeat returned it."""

    entry_id: int
    kind: str
    member_id: str
    delta_available: int
    delta_held: int
    available_after: int
    held_after: int
    hold_id: int | None
    created_at: dt.datetime
    replayed: bool = False


@dataclass(frozen=True)
class ExpiryRun:
    """What one ``expire`` run posted, and how many lots it postponed (notices owed).

    ``members`` counts the members with a lot expired or postponed.
    """

    lots_expired: int
    points_expired: int
    members: int
    lots_postponed: int = 0


@dataclass(frozen=True)
class Balance:
    """A member's spendable points: expired points are never counted."""

    member_id: str
    available: int
    held: int
    expiring_soon: int
    expiring_soon_before: dt.datetime
    as_of: dt.datetime
    pending: int = 0
    owed: int = 0


@dataclass(frozen=True)
class EntryView:
    """One ledger line as operators and members read it."""

    entry_id: int
    kind: str
    delta_available: int
    delta_held: int
    available_after: int
    held_after: int
    hold_id: int | None
    expires_at: dt.datetime | None
    reason: str
    actor: str
    created_at: dt.datetime
    delta_pending: int = 0
    pending_after: int = 0
    delta_owed: int = 0
    owed_after: int = 0


@dataclass(frozen=True)
class Discrepancy:
    """One projection that disagrees with what explains it.

    ``subject`` is the member id for the account checks and the reward id for
    ``inventory_vs_holds``.
    """

    subject: str
    check: str
    projected: int
    derived: int


@dataclass(frozen=True)
class AccrualView:
    """The points one order earned and where they are now."""

    accrual_id: str
    member_id: str
    order_id: str
    amount: Decimal
    currency: str
    tier: str
    base_points: int
    multiplier: Decimal
    points: int
    capped_by: tuple[str, ...]
    pending_points: int
    points_before_cap: int | None
    settled_points: int
    taken_back_points: int
    returned_amount: Decimal
    status: str
    available_at: dt.datetime
    settled_at: dt.datetime | None


@dataclass(frozen=True)
class ReturnView:
    """What one return took back, and from where; ``shortfall`` became owed."""

    return_key: str
    amount: Decimal
    points: int
    from_pending: int
    from_available: int
    shortfall: int
    accrual: AccrualView
    replayed: bool

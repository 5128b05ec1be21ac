"""What ledger operations and reads return: plain frozen dataclasses, no ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


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
    """What one ``expire`` run posted."""

    lots_expired: int
    points_expired: int
    members: int


@dataclass(frozen=True)
class Balance:
    """A member's spendable points: expired points are never counted."""

    member_id: str
    available: int
    held: int
    expiring_soon: int
    expiring_soon_before: dt.datetime
    as_of: dt.datetime


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

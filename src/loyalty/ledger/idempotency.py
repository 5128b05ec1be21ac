"""Idempotency keys: a repeat returns the first result, a conflicting repeat is refused.

Each operation fingerprints its arguments. The fingerprint is stored beside the
key on the entry it posted, so a later call with the same key can tell a true
retry (same fingerprint: replay the stored result, change nothing) from a
client bug (different fingerprint: refuse loudly).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import IdempotencyConflictError, ValidationError
from loyalty.ledger.models import LedgerEntry
from loyalty.ledger.results import EntryResult

# The column's width (0007 widened it for scoped ids and the keys derived from them).
MAX_KEY_LENGTH = 640


def fingerprint(operation: str, **arguments: Any) -> str:
    """A stable hash of an operation and its arguments."""
    canonical = json.dumps({"op": operation, **arguments}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def require_key(key: str) -> str:
    if not key or not key.strip():
        raise ValidationError("idempotency key must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError(f"idempotency key longer than {MAX_KEY_LENGTH} characters")
    return key


def entry_by_key(session: Session, key: str) -> LedgerEntry | None:
    """The entry posted under ``key``, if any."""
    return session.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key == key)).first()


def replay_of(entry: LedgerEntry | None, key: str, request_hash: str) -> EntryResult | None:
    """The stored result of ``entry`` (posted under ``key``), or None when the key is new.

    Raises:
        IdempotencyConflictError: the key was used with different arguments.
    """
    if entry is None:
        return None
    if entry.request_hash != request_hash:
        raise IdempotencyConflictError(
            f"idempotency key {key!r} was already used with different arguments"
        )
    return dataclasses.replace(to_result(entry), replayed=True)


def to_result(entry: LedgerEntry) -> EntryResult:
    return EntryResult(
        entry_id=entry.id,
        kind=entry.kind,
        member_id=entry.member_id,
        delta_available=entry.delta_available,
        delta_held=entry.delta_held,
        available_after=entry.available_after,
        held_after=entry.held_after,
        hold_id=entry.hold_id,
        created_at=entry.created_at,
    )

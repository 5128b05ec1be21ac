"""Ledger exports for finance: every entry of a date range, streamed as CSV or JSON Lines.

The rows are the ledger entries themselves (append-only, oldest first), so an
export agrees with reconciliation by construction: for each member, the sum of
an entry column over *all* dates equals the account's projection, and over a
range it equals the change between the running totals (``*_after``) at its ends.

An export reads one snapshot (a REPEATABLE READ, read-only transaction): entries
committed while it streams are neither half-included nor skipped between pages;
rows are fetched in batches through a server-side cursor, so memory stays flat.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from loyalty.ledger.models import LedgerEntry

BATCH = 1_000  # rows per fetch from the server-side cursor
CHUNK = 64 * 1024  # characters per chunk written to the response
COLUMNS = (
    "entry_id",
    "created_at",
    "member_id",
    "kind",
    "delta_available",
    "delta_held",
    "delta_pending",
    "delta_owed",
    "available_after",
    "held_after",
    "pending_after",
    "owed_after",
    "hold_id",
    "lot_id",
    "expires_at",
    "reason",
    "actor",
    "reference",
)
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TEXT = frozenset({"reason", "actor", "reference", "member_id"})


@dataclass(frozen=True, kw_only=True)
class ExportRange:
    """Entries created in ``[start, end)`` (UTC), for one member or (None) for all."""

    start: dt.datetime
    end: dt.datetime
    member_id: str | None = None


def rows(sessions: sessionmaker[Session], export: ExportRange) -> Iterator[dict[str, Any]]:
    """The entries of ``export``, oldest first, as plain values (one snapshot)."""
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.created_at >= export.start, LedgerEntry.created_at < export.end)
        .order_by(LedgerEntry.id)
        .execution_options(yield_per=BATCH)
    )
    if export.member_id is not None:
        query = query.where(LedgerEntry.member_id == export.member_id)
    with sessions() as session:
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        for entry in session.scalars(query):
            yield _row(entry)


def as_csv(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A header, then one line per entry; text cells are defused for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell(k, v) for k, v in record.items()})
        if buffer.tell() >= CHUNK:
            yield _drain(buffer)
    yield _drain(buffer)


def as_json_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """One JSON object per line (points as integers, times as ISO 8601)."""
    buffer = io.StringIO()
    for record in records:
        buffer.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
        if buffer.tell() >= CHUNK:
            yield _drain(buffer)
    yield _drain(buffer)


def _row(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "entry_id": entry.id,
        "created_at": entry.created_at.isoformat(),
        "member_id": entry.member_id,
        "kind": entry.kind,
        "delta_available": entry.delta_available,
        "delta_held": entry.delta_held,
        "delta_pending": entry.delta_pending,
        "delta_owed": entry.delta_owed,
        "available_after": entry.available_after,
        "held_after": entry.held_after,
        "pending_after": entry.pending_after,
        "owed_after": entry.owed_after,
        "hold_id": entry.hold_id,
        "lot_id": entry.lot_id,
        "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
        "reason": entry.reason,
        "actor": entry.actor,
        "reference": entry.idempotency_key,
    }


def _cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if column in _TEXT and isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text

"""Ledger exports for finance (operators): one member's or the whole program's entries.

``start`` and ``end`` are dates (UTC), both included. The body streams as it is
read, CSV (``format=csv``, the default) or JSON Lines (``format=jsonl``); see
``loyalty.ledger.exports`` for the columns and why they agree with reconciliation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from fastapi.responses import StreamingResponse

from loyalty.api import lookups
from loyalty.api.access import allow
from loyalty.api.auth import Role
from loyalty.api.deps import StateDep
from loyalty.api.errors import FieldError
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import ID_PATTERN
from loyalty.ledger import exports

router = gated_router(tags=["exports"], responses=errors(*AUTHENTICATED, 404))
OPERATORS = allow(Role.OPERATOR)
MemberId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="Member id.")]
Start = Annotated[dt.date, Query(description="First day (UTC), included.", examples=["2026-11-01"])]
End = Annotated[dt.date, Query(description="Last day (UTC), included.", examples=["2026-11-30"])]
Format = Annotated[Literal["csv", "jsonl"], Query(description="CSV or JSON Lines.")]
MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Entries oldest first: CSV with a header row, or one JSON object a line.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


def _range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise FieldError("end", "end is before start")
    if end >= dt.date.max:
        raise FieldError("end", "end is out of range")
    midnight = dt.time(tzinfo=dt.UTC)
    return dt.datetime.combine(start, midnight), dt.datetime.combine(
        end + dt.timedelta(days=1), midnight
    )


def _stream(state: StateDep, export: exports.ExportRange, fmt: str, name: str) -> StreamingResponse:
    records = exports.rows(state.sessions, export)
    body: Iterator[str] = (
        exports.as_csv(records) if fmt == "csv" else exports.as_json_lines(records)
    )
    filename = f"{name}_{export.start.date()}_{(export.end - dt.timedelta(days=1)).date()}.{fmt}"
    return StreamingResponse(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/v1/members/{member_id}/ledger/export",
    operation_id="members.ledger.export",
    response_class=StreamingResponse,
    summary="Export a member's ledger for a date range (CSV or JSON Lines)",
    responses=STREAM,
    openapi_extra=OPERATORS,
)
async def export_member(
    member_id: MemberId, state: StateDep, start: Start, end: End, format: Format = "csv"
) -> StreamingResponse:
    first, after = _range(start, end)
    await lookups.require_member(state.sessions, member_id=member_id)
    export = exports.ExportRange(start=first, end=after, member_id=member_id)
    return _stream(state, export, format, f"ledger_{member_id}")


@router.get(
    "/v1/ledger/export",
    operation_id="ledger.export",
    response_class=StreamingResponse,
    summary="Export the program's ledger for a date range (CSV or JSON Lines)",
    responses=STREAM,
    openapi_extra=OPERATORS,
)
async def export_program(
    state: StateDep, start: Start, end: End, format: Format = "csv"
) -> StreamingResponse:
    first, after = _range(start, end)
    return _stream(state, exports.ExportRange(start=first, end=after), format, "ledger")

"""The one list envelope: ``{"data": [...], "next_cursor": str | null}``, paged by ``cursor``.

Every list route takes ``cursor`` (the previous page's ``next_cursor``; absent for
the first page) and ``limit``, and answers a ``ListPage`` subclass. What a cursor
holds is the route's business (a Temporal page token, the last row id shown, a
position in a short list read whole); clients treat it as opaque.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, TypeVar

from fastapi import Query

from loyalty.api.schemas import NEXT_CURSOR, ListPage

__all__ = ["CURSOR_DESCRIPTION", "NEXT_CURSOR", "Limit", "ListPage", "PositionCursor", "window"]

T = TypeVar("T")

CURSOR_DESCRIPTION = "The `next_cursor` of the previous page; omit for the first page."
# A position in a list read whole (catalog, policies, webhooks, expiry dates, redemptions).
POSITION_CURSOR_PATTERN = r"^(0|[1-9][0-9]{0,5})$"

PositionCursor = Annotated[
    str | None,
    Query(pattern=POSITION_CURSOR_PATTERN, max_length=6, description=CURSOR_DESCRIPTION),
]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]


def window(items: Sequence[T], cursor: str | None, limit: int) -> tuple[list[T], str | None]:
    """One page of a list read whole, and the cursor of the next (None at the end)."""
    start = int(cursor) if cursor else 0
    end = start + limit
    return list(items[start:end]), (str(end) if end < len(items) else None)

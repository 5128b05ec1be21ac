"""The one list envelope: ``{"data": [...], "next_cursor": str | null}``, paged by ``cursor``.

Every list route takes ``cursor`` (the previous page's ``next_cursor``; absent for
the first page) and ``limit``, and answers a ``ListPage`` subclass. What a cursor
holds is the route's business (a Temporal page token, the last row id shown, the
sort key of the last item shown); clients treat it as opaque.

The lists read whole or sorted in SQL page by **keyset**: the cursor encodes the
sort key of the last item shown (ending in the item's id, so keys are unique),
and the next page starts after that key. An item added or removed between two
page fetches therefore neither repeats one already shown nor skips one not yet
shown, as a position (``offset``) would when the list shifts under it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Query

from loyalty.api.errors import FieldError
from loyalty.api.schemas import NEXT_CURSOR, ListPage

__all__ = [
    "CURSOR_DESCRIPTION",
    "NEXT_CURSOR",
    "KeysetCursor",
    "Limit",
    "ListPage",
    "SortKey",
    "after_key",
    "from_instant",
    "instant",
    "next_key",
    "time_id_after",
    "time_id_cursor",
    "window",
]

T = TypeVar("T")
SortKey = tuple[str | int, ...]

CURSOR_DESCRIPTION = "The `next_cursor` of the previous page; omit for the first page."
# base64url (unpadded) of a JSON array of the last item's sort key.
KEYSET_CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,1400}$"

KeysetCursor = Annotated[
    str | None,
    Query(pattern=KEYSET_CURSOR_PATTERN, max_length=1400, description=CURSOR_DESCRIPTION),
]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def instant(value: dt.datetime) -> int:
    """A timestamp as whole microseconds since the epoch: exact, and sorts as it should."""
    return (value - _EPOCH) // dt.timedelta(microseconds=1)


def from_instant(value: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=value)


def next_key(key: SortKey) -> str:
    """The cursor of a page whose last item has sort key ``key``."""
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def after_key(cursor: str, *, shape: SortKey | None) -> SortKey:
    """The sort key a cursor holds, checked against ``shape`` (a key of this list), if known.

    Raises:
        FieldError: not a cursor this list gave (422 naming ``cursor``).
    """
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        value = None
    types = [type(s) for s in shape] if shape is not None else None
    if (
        not isinstance(value, list)
        or not all(type(v) in (str, int) for v in value)
        or (types is not None and [type(v) for v in value] != types)
    ):
        raise FieldError("cursor", "not a cursor this list gave")
    return tuple(value)


def window(
    items: Sequence[T],
    cursor: str | None,
    limit: int,
    *,
    key: Callable[[T], SortKey],
) -> tuple[list[T], str | None]:
    """One page of a list read whole, in ``key`` order (unique keys), and the next cursor.

    The items are sorted here by ``key`` (not trusted to come in the database's
    collation), so the page after a cursor is exactly the items whose key sorts
    after it: the list may change between pages (see the module docstring).
    """
    rest = sorted(items, key=key)
    if cursor:
        last = after_key(cursor, shape=key(rest[0]) if rest else None)
        rest = [i for i in rest if key(i) > last]
    page = rest[:limit]
    return page, (next_key(key(page[-1])) if len(rest) > limit else None)


def time_id_after(cursor: str | None) -> tuple[dt.datetime, str] | None:
    """The (created_at, id) of the last row shown, from a newest-first SQL list's cursor.

    Raises:
        FieldError: not a cursor this list gave.
    """
    if cursor is None:
        return None
    created, row_id = after_key(cursor, shape=(0, ""))
    try:
        return from_instant(int(created)), str(row_id)
    except OverflowError:  # a forged instant beyond any date
        raise FieldError("cursor", "not a cursor this list gave") from None


def time_id_cursor(
    rows: Sequence[T], limit: int, key: Callable[[T], tuple[dt.datetime, str]]
) -> str | None:
    """The next cursor of a page fetched with ``limit + 1`` rows (None: it was the last)."""
    if len(rows) <= limit:
        return None
    created, row_id = key(rows[limit - 1])
    return next_key((instant(created), row_id))

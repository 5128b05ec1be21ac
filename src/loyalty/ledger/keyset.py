"""Newest-first keyset paging: the one ordering and predicate every paged ledger list uses.

Rows are ordered by ``created_at`` descending with the id ascending to break ties, and a
page starts after the ``(created_at, id)`` of the last row shown. Unlike an offset, the
predicate never repeats or skips a row when rows are added between pages.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

Row = TypeVar("Row")


def newest_first(
    query: Select[Row],
    *,
    created_at: InstrumentedAttribute[dt.datetime],
    row_id: InstrumentedAttribute[str],
    after: tuple[dt.datetime, str] | None,
) -> Select[Row]:
    """``query`` ordered newest first, starting after the ``(created_at, id)`` in ``after``."""
    if after is not None:
        created, last_id = after
        query = query.where(
            or_(created_at < created, and_(created_at == created, row_id > last_id))
        )
    return query.order_by(created_at.desc(), row_id)

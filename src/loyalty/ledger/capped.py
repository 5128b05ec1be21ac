"""Purchases over the per-purchase cap, for the fraud team (POL-ACCRUAL-001).

"A single purchase can earn at most ``max_points_per_purchase``. Larger orders
are capped and flagged for the fraud team to check for reselling." The cap is
applied by ``domain.earning.earn``; here an order it capped is flagged, in the
transaction that records it: an ``accrual.capped`` audit row (who reported it,
the order, the points before and after), and the list the staff queue
``GET /v1/queues/capped-purchases`` pages, newest first, by keyset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from loyalty.domain.earning import CAPPED_POINTS
from loyalty.ledger import audit
from loyalty.ledger.keyset import newest_first
from loyalty.ledger.models import Accrual

# Spelled as the partial index ix_accruals_capped_purchase is (a constant, not a bound
# parameter), so the planner uses that index.
_CAPPED = text(f"'{CAPPED_POINTS}' = ANY (accruals.capped_by)")


@dataclass(frozen=True)
class CappedPurchase:
    accrual_id: str
    member_id: str
    order_id: str
    source: str
    amount: Decimal
    currency: str
    points: int
    points_before_cap: int
    status: str
    created_at: dt.datetime


def flag(session: Session, accrual: Accrual, *, actor: str) -> None:
    """Audit an order the per-purchase cap cut (a no-op for any other order)."""
    if CAPPED_POINTS not in accrual.capped_by:
        return
    audit.record(
        session,
        actor=actor,
        role="integration",
        action="accrual.capped",
        target=accrual.member_id,
        reason="POL-ACCRUAL-001: over the per-purchase cap; for the fraud team (reselling)",
        details={
            "accrual_id": accrual.id,
            "order_id": accrual.order_id,
            "amount": str(accrual.amount),
            "points": accrual.points,
            "points_before_cap": accrual.points_before_cap,
        },
    )


def page(
    session: Session,
    *,
    member_id: str | None,
    limit: int,
    after: tuple[dt.datetime, str] | None,
) -> list[CappedPurchase]:
    """Capped orders, newest first (the id breaks ties), after the (created_at, id) shown last."""
    query = select(Accrual).where(_CAPPED)
    if member_id is not None:
        query = query.where(Accrual.member_id == member_id)
    query = newest_first(query, created_at=Accrual.created_at, row_id=Accrual.id, after=after)
    rows = session.scalars(query.limit(limit))
    return [
        CappedPurchase(
            accrual_id=row.id,
            member_id=row.member_id,
            order_id=row.order_id,
            source=row.source,
            amount=row.amount,
            currency=row.currency,
            points=row.points,
            points_before_cap=row.points_before_cap or row.points,
            status=row.status,
            created_at=row.created_at,
        )
        for row in rows
    ]

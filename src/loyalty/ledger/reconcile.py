"""Reconciliation: prove, per account and per reward, that each projection equals what explains it.

Independent derivations must agree with each account row:

- ``available`` == sum of the entries' ``delta_available``
- ``held``      == sum of the entries' ``delta_held``
- ``available`` == sum of the lots' ``remaining`` (what FIFO expiry spends from)
- ``held``      == sum of the active holds' points
- ``pending``   == sum of the entries' ``delta_pending`` == sum of the accruals' pending points
- ``owed``      == sum of the entries' ``delta_owed``

and one with each reward whose stock is tracked:

- ``inventory`` == ``stock_received`` - units of its active and captured holds
  + units refunds put back (released holds gave theirs back)

An empty result is the proof; any row is a discrepancy to investigate. Holds
whose workflow has closed need Temporal to find: see ``loyalty.activities.holds``.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from loyalty.ledger.results import Discrepancy

_RECONCILE_SQL = text(
    """
    WITH e AS (
        SELECT member_id, SUM(delta_available) AS avail, SUM(delta_held) AS held,
               SUM(delta_pending) AS pending, SUM(delta_owed) AS owed
        FROM ledger_entries GROUP BY member_id
    ), l AS (
        SELECT member_id, SUM(remaining) AS avail FROM point_lots GROUP BY member_id
    ), h AS (
        SELECT member_id, SUM(points) AS held FROM holds WHERE status = 'active'
        GROUP BY member_id
    ), p AS (
        SELECT member_id, SUM(pending_points) AS pending FROM accruals GROUP BY member_id
    )
    SELECT a.member_id, a.available, a.held,
           COALESCE(e.avail, 0), COALESCE(e.held, 0), COALESCE(l.avail, 0), COALESCE(h.held, 0),
           a.pending, COALESCE(e.pending, 0), COALESCE(p.pending, 0),
           a.owed, COALESCE(e.owed, 0)
    FROM accounts a
    LEFT JOIN e USING (member_id) LEFT JOIN l USING (member_id) LEFT JOIN h USING (member_id)
    LEFT JOIN p USING (member_id)
    WHERE (CAST(:member_id AS text) IS NULL OR a.member_id = :member_id)
    ORDER BY a.member_id
    """
)


_STOCK_SQL = text(
    """
    SELECT r.id, r.inventory,
           r.stock_received - COALESCE(SUM(h.units - h.units_restocked)
                                       FILTER (WHERE h.status IN ('active', 'captured')), 0)
    FROM rewards r LEFT JOIN holds h ON h.reward_id = r.id
    WHERE r.inventory IS NOT NULL
    GROUP BY r.id, r.inventory, r.stock_received
    ORDER BY r.id
    """
)


STOCK_CHECK = "inventory_vs_holds"


def reconcile_stock(session: Session) -> list[Discrepancy]:
    """Every reward whose inventory disagrees with its stock, holds and refunds."""
    return [
        Discrepancy(subject=reward, check=STOCK_CHECK, projected=int(p), derived=int(d))
        for reward, p, d in session.execute(_STOCK_SQL).all()
        if int(p) != int(d)
    ]


def reconcile(session: Session, *, member_id: str | None = None) -> list[Discrepancy]:
    """Every disagreement between an account and its entries, lots and holds."""
    found: list[Discrepancy] = []
    rows = session.execute(_RECONCILE_SQL, {"member_id": member_id}).all()
    for row in rows:
        member, available, held, e_avail, e_held, lot_avail, hold_held = row[:7]
        pending, e_pending, accrual_pending, owed, e_owed = row[7:]
        checks = (
            ("available_vs_entries", available, e_avail),
            ("held_vs_entries", held, e_held),
            ("available_vs_lots", available, lot_avail),
            ("held_vs_active_holds", held, hold_held),
            ("pending_vs_entries", pending, e_pending),
            ("pending_vs_accruals", pending, accrual_pending),
            ("owed_vs_entries", owed, e_owed),
        )
        found.extend(
            Discrepancy(subject=member, check=name, projected=int(p), derived=int(d))
            for name, p, d in checks
            if int(p) != int(d)
        )
    return found

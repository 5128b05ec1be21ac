"""capped purchases: what an order would have earned, and an index for the fraud team's list

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24

Issue 13 (POL-ACCRUAL-001: orders over ``max_points_per_purchase`` are capped
and flagged for the fraud team to check for reselling):

- ``accruals.points_before_cap``: the points before the per-purchase cap (null
  for orders recorded before this revision).
- ``ix_accruals_capped_purchase``: a partial index over just the capped orders,
  newest first, so the staff queue never scans every purchase.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAPPED = sa.text("'max_points_per_purchase' = ANY (capped_by)")


def upgrade() -> None:
    op.add_column("accruals", sa.Column("points_before_cap", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_accruals_capped_purchase",
        "accruals",
        [sa.text("created_at DESC"), "id"],
        postgresql_where=CAPPED,
    )


def downgrade() -> None:
    op.drop_index("ix_accruals_capped_purchase", table_name="accruals")
    op.drop_column("accruals", "points_before_cap")

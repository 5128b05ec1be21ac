"""redemption records: which run wrote the mirror and how far it had got, so it only moves forward

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24

Issue 12: the saga's records may run as local activities, which run again when
their workflow task is retried; a record that lands late must not roll the
mirror back (see ``ledger.redemptions.upsert_redemption``). Rows written before
this revision have neither: the next record applies whatever it holds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("redemptions", sa.Column("recorded_run_id", sa.String(64), nullable=True))
    op.add_column("redemptions", sa.Column("recorded_progress", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("redemptions", "recorded_progress")
    op.drop_column("redemptions", "recorded_run_id")

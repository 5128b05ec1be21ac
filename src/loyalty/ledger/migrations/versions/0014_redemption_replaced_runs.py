"""redemption records: the runs a reset replaced, whose late records must not land

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24

A reset terminates the run it replaces, but a record that run had started may
still be writing; without this it overwrote the new run's record. Each run
whose record another run's record replaced is listed here, and a record from a
listed run changes nothing (see ``ledger.redemptions.upsert_redemption``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "redemptions",
        sa.Column(
            "replaced_run_ids",
            postgresql.ARRAY(sa.String(64)),
            nullable=False,
            server_default="{}",
        ),
    )


def downgrade() -> None:
    op.drop_column("redemptions", "replaced_run_ids")

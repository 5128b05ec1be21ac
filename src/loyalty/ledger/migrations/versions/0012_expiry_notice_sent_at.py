"""expiry notices: when each went out, so only a notice given its full lead time counts

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24

Issue 13 (POL-EXPIRY-001: "An expiry may not run for a member who was not sent
both notices"): ``expiry_notices.sent_at`` is the time of the run that sent the
notice (its ``as_of``). The expiry run counts a notice only if it went out at
least its lead time (in whole days) before the date. Notices recorded before
this revision have none: their ``created_at`` stands in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, not backfilled: the table is append-only (a trigger refuses UPDATE), and
    # for a notice recorded before this revision its created_at is when it went out.
    op.add_column("expiry_notices", sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("expiry_notices", "sent_at")

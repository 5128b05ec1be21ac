"""members and tiers: frozen accounts, the profile, and where each member stands on the ladder

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24

Issue 13, item 2 (written beside item 1's 0008; the merge re-chains it after 0008):

- ``members.status`` may be ``frozen`` (POL-SECURITY-001: earns, cannot redeem).
- ``display_name`` and ``email``: the profile staff read and correct.
- ``tier_changed_on``: the last tier change, whose anniversary is the tier's
  review date (POL-TIER-001); existing members start from their join date.
- ``tier_grace_until``: set when a review found the member below the tier's
  threshold; the downgrade comes at that date if they still are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('active','suspended','closed')"
NEW_STATUSES = "status IN ('active','frozen','suspended','closed')"


def upgrade() -> None:
    op.drop_constraint("member_status", "members", type_="check")
    op.create_check_constraint("member_status", "members", NEW_STATUSES)
    op.add_column("members", sa.Column("display_name", sa.String(length=200)))
    op.add_column("members", sa.Column("email", sa.String(length=320)))
    op.add_column("members", sa.Column("tier_changed_on", sa.Date()))
    op.execute("UPDATE members SET tier_changed_on = joined_on")
    op.alter_column("members", "tier_changed_on", nullable=False)
    op.add_column("members", sa.Column("tier_grace_until", sa.Date()))


def downgrade() -> None:
    op.execute("UPDATE members SET status = 'suspended' WHERE status = 'frozen'")
    for column in ("tier_grace_until", "tier_changed_on", "email", "display_name"):
        op.drop_column("members", column)
    op.drop_constraint("member_status", "members", type_="check")
    op.create_check_constraint("member_status", "members", OLD_STATUSES)

"""promotions: versioned promotions and per-member promo code uses (POL-PROMO-001)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24

Issue 13, item 4:

- ``promotion_versions``: one row per version of a promotion (INSERT and
  SELECT only for the app): an edit, a reschedule or an end inserts the next
  version, so the version a breakdown names stays readable.
- ``promo_code_uses``: one row per redemption that used a promo code, written
  in the hold's transaction under the account lock.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from loyalty.ledger.privileges import grant_statement

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.Column[dt.datetime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "promotion_versions",
        sa.Column("promotion_id", sa.String(length=64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("campaign", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Numeric(8, 3), nullable=False),
        sa.Column("reward_ids", postgresql.ARRAY(sa.String()), nullable=False, server_default="{}"),
        sa.Column("categories", postgresql.ARRAY(sa.String()), nullable=False, server_default="{}"),
        sa.Column("tiers", postgresql.ARRAY(sa.String()), nullable=False, server_default="{}"),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("promo_code", sa.String(length=64), nullable=True),
        sa.Column("changed_by", sa.String(length=128), nullable=False),
        _now(),
        sa.CheckConstraint("version >= 1", name="promotion_version_positive"),
        sa.CheckConstraint(
            "kind IN ('redeem_discount_percent','earn_bonus_multiplier')", name="promotion_kind"
        ),
        sa.CheckConstraint("value > 0", name="promotion_value_positive"),
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="promotion_window"),
    )
    op.create_table(
        "promo_code_uses",
        sa.Column("redemption_id", sa.String(length=640), primary_key=True),
        sa.Column(
            "member_id",
            sa.String(length=64),
            sa.ForeignKey("accounts.member_id"),
            nullable=False,
        ),
        sa.Column("promo_code", sa.String(length=64), nullable=False),
        sa.Column("promotion_id", sa.String(length=64), nullable=False),
        sa.Column("promotion_version", sa.Integer(), nullable=False),
        _now(),
    )
    op.create_index(
        "ix_promo_code_uses_member_code", "promo_code_uses", ["member_id", "promo_code"]
    )
    op.execute(grant_statement("promotion_versions"))
    op.execute(grant_statement("promo_code_uses"))


def downgrade() -> None:
    op.drop_table("promo_code_uses")
    op.drop_table("promotion_versions")

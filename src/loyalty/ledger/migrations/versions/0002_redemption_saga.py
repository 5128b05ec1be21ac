"""saga state the redemption workflow needs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "redemptions",
        sa.Column("refunded_quantity", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_check_constraint(
        "refund_within_quantity",
        "redemptions",
        "refunded_quantity >= 0 AND refunded_quantity <= quantity",
    )
    op.create_check_constraint(
        "refund_within_points", "redemptions", "refunded_points >= 0 AND refunded_points <= points"
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=300), nullable=False),
        sa.Column("redemption_id", sa.String(length=200), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("points > 0", name="refund_points_positive"),
        sa.CheckConstraint("quantity > 0", name="refund_quantity_positive"),
        sa.ForeignKeyConstraint(["redemption_id"], ["redemptions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("refunds")
    op.drop_constraint("refund_within_points", "redemptions")
    op.drop_constraint("refund_within_quantity", "redemptions")
    op.drop_column("redemptions", "refunded_quantity")

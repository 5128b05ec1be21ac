"""reward stock on holds, hold tombstones, discretionary budget periods

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

- A hold now reserves stock with the points: ``holds.reward_id`` and ``units``,
  and ``units_restocked`` for units a refund gave back. ``rewards.stock_received``
  counts every unit ever put in stock, so reconciliation can prove
  ``inventory = stock_received - units held or captured + units restocked``.
- ``hold_tombstones``: a release that found no hold leaves the key behind, so a
  hold arriving late under that key is refused (a cancelled saga must not
  strand points).
- ``budget_periods``: one row per purpose and month that a goodwill or retention
  credit locks before it sums what was granted and checks the program's daily
  and monthly budgets, so concurrent grants cannot both pass on one snapshot.
  The sums come from the ledger entries themselves: no second projection.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rewards", sa.Column("stock_received", sa.Integer(), nullable=True))
    op.execute("UPDATE rewards SET stock_received = inventory")
    op.create_check_constraint(
        "reward_stock_tracked",
        "rewards",
        "(inventory IS NULL) = (stock_received IS NULL) AND"
        " (stock_received IS NULL OR stock_received >= inventory)",
    )
    op.add_column(
        "holds",
        sa.Column("reward_id", sa.String(64), sa.ForeignKey("rewards.id"), nullable=True),
    )
    op.add_column(
        "holds", sa.Column("units", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.add_column(
        "holds",
        sa.Column("units_restocked", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.create_check_constraint(
        "hold_units_bounded", "holds", "units >= 0 AND units_restocked BETWEEN 0 AND units"
    )
    op.create_index("ix_holds_reward_status", "holds", ["reward_id", "status"])
    op.create_index("ix_holds_status_created", "holds", ["status", "created_at"])
    op.create_table(
        "hold_tombstones",
        sa.Column("hold_key", sa.String(200), primary_key=True),
        sa.Column("member_id", sa.String(64), sa.ForeignKey("accounts.member_id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_table(
        "budget_periods",
        sa.Column("purpose", sa.String(16), primary_key=True),
        sa.Column("month", sa.Date(), primary_key=True),
        sa.CheckConstraint("purpose IN ('goodwill', 'retention')", name="budget_purpose"),
        sa.CheckConstraint("EXTRACT(DAY FROM month) = 1", name="budget_month_start"),
    )


def downgrade() -> None:
    op.drop_table("budget_periods")
    op.drop_table("hold_tombstones")
    op.drop_index("ix_holds_status_created", table_name="holds")
    op.drop_index("ix_holds_reward_status", table_name="holds")
    op.drop_constraint("hold_units_bounded", "holds", type_="check")
    op.drop_column("holds", "units_restocked")
    op.drop_column("holds", "units")
    op.drop_column("holds", "reward_id")
    op.drop_constraint("reward_stock_tracked", "rewards", type_="check")
    op.drop_column("rewards", "stock_received")

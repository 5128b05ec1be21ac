"""earning with a pending period (pending and owed points, accruals, returns); expiry care

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

Issue 13, item 1:

- ``accounts.pending``: points earned on a purchase during POL-ACCRUAL-001's
  pending period; shown in the balance, never spendable (no lot holds them).
- ``accounts.owed``: points a return took back after the member had spent
  them (POL-REFUND-001: balances never go below zero; the shortfall is
  recovered from future earning).
- ``ledger_entries.delta_pending`` / ``delta_owed`` (and their running
  totals) explain every change of the two; new kinds ``pend``, ``settle``,
  ``unpend``, ``clawback``.
- ``accruals`` (one per order, keyed by the Accrual workflow id) and
  ``accrual_returns`` (one per return, keyed by its idempotency key).

Item 5: ``expiry_notices`` (each advance notice sent once), ``expiry_extensions``
(support pushed an expiry date back), ``point_lots.reinstated_points`` and the
entry kind ``reinstate`` (expired points given back in a new lot).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from loyalty.ledger.privileges import grant_statement

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "'accrue','hold','release','capture','reverse','expire','adjust'"
NEW_KINDS = f"{OLD_KINDS},'pend','settle','unpend','clawback','reinstate'"
OLD_MOVES = "delta_available <> 0 OR delta_held <> 0"
NEW_MOVES = f"{OLD_MOVES} OR delta_pending <> 0 OR delta_owed <> 0"
ENTRY_COLUMNS = ("delta_pending", "pending_after", "delta_owed", "owed_after")
NEW_TABLES = ("accruals", "accrual_returns", "expiry_notices", "expiry_extensions")


def _zero(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    default = None if nullable else sa.text("now()")
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def upgrade() -> None:
    op.add_column("accounts", _zero("pending"))
    op.add_column("accounts", _zero("owed"))
    op.create_check_constraint("account_pending_non_negative", "accounts", "pending >= 0")
    op.create_check_constraint("account_owed_non_negative", "accounts", "owed >= 0")
    for column in ENTRY_COLUMNS:
        op.add_column("ledger_entries", _zero(column))
    _entry_checks(NEW_KINDS, NEW_MOVES)
    _accruals()
    _returns()
    _expiry()
    for table in NEW_TABLES:
        op.execute(grant_statement(table))


def _entry_checks(kinds: str, moves: str) -> None:
    op.drop_constraint("entry_kind", "ledger_entries", type_="check")
    op.create_check_constraint("entry_kind", "ledger_entries", f"kind IN ({kinds})")
    op.drop_constraint("entry_moves_points", "ledger_entries", type_="check")
    op.create_check_constraint("entry_moves_points", "ledger_entries", moves)


def _accruals() -> None:
    op.create_table(
        "accruals",
        sa.Column("id", sa.String(length=640), primary_key=True),
        sa.Column(
            "member_id", sa.String(length=64), sa.ForeignKey("accounts.member_id"), nullable=False
        ),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("base_points", sa.BigInteger(), nullable=False),
        sa.Column("multiplier", sa.Numeric(6, 3), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("capped_by", ARRAY(sa.String()), nullable=False, server_default="{}"),
        sa.Column("pending_points", sa.BigInteger(), nullable=False),
        _zero("settled_points"),
        _zero("taken_back_points"),
        sa.Column("returned_amount", sa.Numeric(14, 2), nullable=False, server_default="0"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lot_id", sa.BigInteger(), sa.ForeignKey("point_lots.id"), nullable=True),
        _timestamp("available_at"),
        _timestamp("settled_at", nullable=True),
        _timestamp("created_at"),
        sa.CheckConstraint(
            "status IN ('pending','available','cancelled','reversed')", name="accrual_status"
        ),
        sa.CheckConstraint(
            "points >= 0 AND pending_points >= 0 AND settled_points >= 0"
            " AND taken_back_points >= 0 AND pending_points + settled_points + taken_back_points"
            " = points",
            name="accrual_points_conserved",
        ),
        sa.CheckConstraint(
            "amount >= 0 AND returned_amount >= 0 AND returned_amount <= amount",
            name="accrual_return_within_amount",
        ),
    )
    op.create_index("ix_accruals_member", "accruals", ["member_id", "created_at"])


def _returns() -> None:
    op.create_table(
        "accrual_returns",
        sa.Column("id", sa.String(length=640), primary_key=True),
        sa.Column(
            "accrual_id", sa.String(length=640), sa.ForeignKey("accruals.id"), nullable=False
        ),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("from_pending", sa.BigInteger(), nullable=False),
        sa.Column("from_available", sa.BigInteger(), nullable=False),
        sa.Column("shortfall", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("actor", sa.String(length=128), nullable=False),
        _timestamp("created_at"),
        sa.CheckConstraint(
            "amount > 0 AND points >= 0 AND from_pending >= 0 AND from_available >= 0"
            " AND shortfall >= 0 AND from_pending + from_available + shortfall = points",
            name="accrual_return_split",
        ),
    )
    # A return is a fact, like a ledger entry: the database refuses to change it.
    op.execute(
        "CREATE TRIGGER accrual_returns_append_only BEFORE UPDATE OR DELETE OR TRUNCATE"
        " ON accrual_returns FOR EACH STATEMENT EXECUTE FUNCTION refuse_mutation()"
    )


def _expiry() -> None:
    op.add_column("point_lots", _zero("reinstated_points"))
    op.create_check_constraint(
        "lot_reinstated_bounded",
        "point_lots",
        "reinstated_points >= 0 AND reinstated_points <= expired_points",
    )
    op.create_table(
        "expiry_notices",
        sa.Column(
            "member_id",
            sa.String(length=64),
            sa.ForeignKey("accounts.member_id"),
            primary_key=True,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("days_before", sa.Integer(), primary_key=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("run_key", sa.String(length=640), nullable=False),
        _timestamp("created_at"),
    )
    op.create_index("ix_expiry_notices_run", "expiry_notices", ["run_key"])
    op.create_table(
        "expiry_extensions",
        sa.Column("id", sa.String(length=640), primary_key=True),
        sa.Column(
            "member_id", sa.String(length=64), sa.ForeignKey("accounts.member_id"), nullable=False
        ),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("lot_ids", ARRAY(sa.String()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        _timestamp("created_at"),
        sa.CheckConstraint("days > 0 AND points > 0", name="extension_positive"),
    )
    op.create_index("ix_expiry_extensions_member", "expiry_extensions", ["member_id", "created_at"])
    for table in ("expiry_notices", "expiry_extensions"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_mutation()"
        )


def downgrade() -> None:
    op.drop_table("expiry_extensions")
    op.drop_table("expiry_notices")
    op.drop_constraint("lot_reinstated_bounded", "point_lots", type_="check")
    op.drop_column("point_lots", "reinstated_points")
    op.drop_table("accrual_returns")
    op.drop_table("accruals")
    _entry_checks(OLD_KINDS, OLD_MOVES)
    for column in ENTRY_COLUMNS:
        op.drop_column("ledger_entries", column)
    op.drop_constraint("account_owed_non_negative", "accounts", type_="check")
    op.drop_constraint("account_pending_non_negative", "accounts", type_="check")
    op.drop_column("accounts", "owed")
    op.drop_column("accounts", "pending")

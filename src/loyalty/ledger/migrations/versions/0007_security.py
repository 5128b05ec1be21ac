"""security: scoped ids, per-subscription webhook secrets, vouchers, the app role's grants

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

Issue 10:

- Redemption ids carry their scope and member (``redemption-member~M1~order-1``),
  so ids and the keys derived from them get longer columns, and a request id
  is no longer unique on its own (two members may both send ``order-1``).
- Each webhook subscription signs with its own secret (stored encrypted), with
  the previous one kept for an overlap window after a rotation. Subscriptions
  created before this revision have none and are not delivered to until an
  operator rotates their secret. A delivery refused for its address is
  ``refused``.
- Voucher codes live in ``vouchers`` (written by the fulfillment activity),
  never in Temporal history or the redemption mirror.
- The application connects as a member of ``loyalty_app``, which owns nothing
  and holds only the grants of ``loyalty.ledger.privileges``. Creating the role
  needs CREATEROLE; where the migration role lacks it, a DBA creates
  ``loyalty_app`` (NOLOGIN) first and this revision only grants.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from loyalty.ledger.privileges import APP_ROLE, CREATE_APP_ROLE, grant_statement

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, old length, new length): room for scoped ids and the keys built from them
WIDENED = (
    ("redemptions", "id", 200, 512),
    ("ledger_entries", "idempotency_key", 200, 640),
    ("holds", "reference", 200, 512),
    ("refunds", "id", 300, 640),
    ("refunds", "redemption_id", 200, 512),
    ("audit_log", "target", 200, 640),
    ("webhook_deliveries", "id", 400, 800),
    ("webhook_deliveries", "event_id", 300, 640),
)
DELIVERY_STATUSES = ("retrying", "delivered", "failed", "skipped")


def upgrade() -> None:
    for table, column, _, new in WIDENED:
        op.alter_column(table, column, type_=sa.String(length=new))
    op.drop_constraint("redemptions_request_id_key", "redemptions", type_="unique")
    op.create_index("ix_redemptions_member_request", "redemptions", ["member_id", "request_id"])
    _webhook_secrets()
    _vouchers()
    # POL-APPROVAL-001: above its threshold a case is approved by two different people.
    op.add_column("agent_decisions", sa.Column("second_approver", sa.String(length=128)))
    _app_role()


def _webhook_secrets() -> None:
    timestamp = sa.DateTime(timezone=True)
    op.add_column("webhook_subscriptions", sa.Column("secret_ciphertext", sa.Text()))
    op.add_column("webhook_subscriptions", sa.Column("previous_secret_ciphertext", sa.Text()))
    op.add_column("webhook_subscriptions", sa.Column("previous_secret_expires_at", timestamp))
    op.add_column("webhook_subscriptions", sa.Column("secret_rotated_at", timestamp))
    _delivery_statuses((*DELIVERY_STATUSES, "refused"))


def _delivery_statuses(statuses: Sequence[str]) -> None:
    op.drop_constraint("webhook_delivery_status", "webhook_deliveries", type_="check")
    allowed = ",".join(f"'{status}'" for status in statuses)
    op.create_check_constraint(
        "webhook_delivery_status", "webhook_deliveries", f"status IN ({allowed})"
    )


def _vouchers() -> None:
    op.create_table(
        "vouchers",
        sa.Column("voucher_id", sa.String(length=128), primary_key=True),
        sa.Column("redemption_id", sa.String(length=512), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.create_index("ix_vouchers_redemption", "vouchers", ["redemption_id"])
    # Issued codes are facts like ledger entries: the database refuses to change them.
    op.execute(
        "CREATE TRIGGER vouchers_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON vouchers "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_mutation()"
    )


# The tables as they stand at this revision: a later migration grants its own
# tables (the list must not follow APP_PRIVILEGES, or this revision would grant
# tables that do not exist yet on a fresh database).
TABLES = (
    "ledger_entries",
    "audit_log",
    "agent_decisions",
    "refunds",
    "vouchers",
    "hold_tombstones",
    "accounts",
    "holds",
    "point_lots",
    "hold_allocations",
    "members",
    "rewards",
    "redemptions",
    "webhook_subscriptions",
    "webhook_deliveries",
    "budget_periods",
    "alembic_version",
)


def _app_role() -> None:
    op.execute(CREATE_APP_ROLE)
    # Only owners create objects in the schema; the app role only uses it.
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    for table in TABLES:
        op.execute(f"REVOKE ALL ON TABLE {table} FROM PUBLIC")
        op.execute(grant_statement(table))
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    # Sequences of tables added later (ids) are usable too; tables are granted one by one.
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}"
    )


def downgrade() -> None:
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
        f" REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE}"
    )
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    for table in TABLES:
        op.execute(f"REVOKE ALL ON TABLE {table} FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
    op.drop_column("agent_decisions", "second_approver")
    op.drop_table("vouchers")
    _delivery_statuses(DELIVERY_STATUSES)
    for column in (
        "secret_rotated_at",
        "previous_secret_expires_at",
        "previous_secret_ciphertext",
        "secret_ciphertext",
    ):
        op.drop_column("webhook_subscriptions", column)
    op.drop_index("ix_redemptions_member_request", table_name="redemptions")
    op.create_unique_constraint("redemptions_request_id_key", "redemptions", ["request_id"])
    for table, column, old, _ in WIDENED:
        op.alter_column(table, column, type_=sa.String(length=old))

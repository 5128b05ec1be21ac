"""agent decision log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Written by hand to match ``loyalty.agents.decision_models``. The log is
append-only like ``ledger_entries``: it reuses ``refuse_mutation()`` from 0001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "agent_decisions"


def _jsonb(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("proposal_row_id", sa.BigInteger(), nullable=True),
        sa.Column("case_id", sa.String(length=128), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        _jsonb("inputs"),
        _jsonb("retrieved"),
        sa.Column("proposer", sa.String(length=128), nullable=False),
        _jsonb("proposal", nullable=True),
        sa.Column("raw_output", sa.Text(), nullable=False),
        _jsonb("tool_calls"),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("verdict_points", sa.BigInteger(), nullable=True),
        _jsonb("verdict_reasons"),
        sa.Column("final_decision", sa.String(length=16), nullable=True),
        sa.Column("final_points", sa.BigInteger(), nullable=True),
        sa.Column("approver", sa.String(length=128), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('proposal','decision')", name="agent_decision_kind"),
        sa.CheckConstraint(
            "verdict IS NULL OR verdict IN ('accept','clamp','needs_approval','reject')",
            name="agent_decision_verdict",
        ),
        sa.CheckConstraint(
            "final_decision IS NULL OR final_decision IN ('approved','rejected','expired')",
            name="agent_decision_final",
        ),
        sa.CheckConstraint(
            "(kind = 'proposal' AND verdict IS NOT NULL AND proposal_row_id IS NULL"
            " AND final_decision IS NULL)"
            " OR (kind = 'decision' AND final_decision IS NOT NULL"
            " AND proposal_row_id IS NOT NULL AND approver IS NOT NULL)",
            name="agent_decision_shape",
        ),
        sa.CheckConstraint(
            "final_points IS NULL OR final_points > 0", name="agent_decision_points_positive"
        ),
        sa.ForeignKeyConstraint(["proposal_row_id"], [f"{TABLE}.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("decision_id", "kind", name="uq_agent_decisions_decision_kind"),
    )
    op.create_index(
        "ix_agent_decisions_member_created", TABLE, ["member_id", "created_at"], unique=False
    )
    # Decisions are facts for auditors and complaint reviews (POL-AGENT-001):
    # the database refuses to change them, whatever the application does.
    op.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_mutation()"
    )


def downgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
    op.drop_index("ix_agent_decisions_member_created", table_name=TABLE)
    op.drop_table(TABLE)

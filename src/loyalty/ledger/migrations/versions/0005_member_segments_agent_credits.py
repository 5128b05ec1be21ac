"""member segments and churn score; index of agent-granted credits

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Retention offers are for churn-risk members (POL-RETENTION-001), so members
carry their marketing segments and churn-risk score. The partial index serves
the guardrail facts (see ``loyalty.ledger.discretionary``): per-member credit
counts and the program-wide points granted today, over agent credits only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_ledger_entries_agent_credits"


def upgrade() -> None:
    op.add_column(
        "members",
        sa.Column(
            "segments", sa.ARRAY(sa.String()), nullable=False, server_default=sa.text("'{}'")
        ),
    )
    op.add_column("members", sa.Column("churn_risk_score", sa.Float(), nullable=True))
    op.create_check_constraint(
        "member_churn_score_range",
        "members",
        "churn_risk_score IS NULL OR (churn_risk_score >= 0 AND churn_risk_score <= 1)",
    )
    op.create_index(
        INDEX,
        "ledger_entries",
        ["created_at", "member_id"],
        postgresql_where=sa.text("kind = 'adjust' AND reason LIKE 'agent-%'"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="ledger_entries")
    op.drop_constraint("member_churn_score_range", "members", type_="check")
    op.drop_column("members", "churn_risk_score")
    op.drop_column("members", "segments")

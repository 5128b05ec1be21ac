"""ORM table of the agent decision log (created by migration 0004), beside the other tables.

One table, two kinds of row, both immutable (a trigger refuses UPDATE and
DELETE): a ``proposal`` row holds the inputs, the retrieved chunks, the
proposer, the raw proposal and the guardrail verdict; a later ``decision``
row holds the final outcome and the approver, and points at its proposal row.
A case therefore has at most one of each, which the unique key enforces.
The agents write it (``agents.decision_log``); it lives in ``ledger/`` so the
API can page it for operators (``ledger.logs``) without importing the agents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from loyalty.ledger.models import Base

DECISION_KINDS = ("proposal", "decision")
VERDICTS = ("accept", "clamp", "needs_approval", "reject")
FINAL_DECISIONS = ("approved", "rejected", "expired")


class AgentDecision(Base):
    """One immutable fact about an agent-assisted case."""

    __tablename__ = "agent_decisions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    proposal_row_id: Mapped[int | None] = mapped_column(
        ForeignKey("agent_decisions.id"), nullable=True
    )
    case_id: Mapped[str] = mapped_column(String(128))
    member_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(128))
    input_hash: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    retrieved: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    proposer: Mapped[str] = mapped_column(String(128))
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    raw_output: Mapped[str] = mapped_column(Text)
    tool_calls: Mapped[list[str]] = mapped_column(JSONB)
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)
    verdict_points: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    verdict_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    final_decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    final_points: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    approver: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The other person above POL-APPROVAL-001's second-approver threshold (migration 0007).
    second_approver: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (
        UniqueConstraint("decision_id", "kind", name="uq_agent_decisions_decision_kind"),
        CheckConstraint("kind IN ('proposal','decision')", name="agent_decision_kind"),
        CheckConstraint(
            "verdict IS NULL OR verdict IN ('accept','clamp','needs_approval','reject')",
            name="agent_decision_verdict",
        ),
        CheckConstraint(
            "final_decision IS NULL OR final_decision IN ('approved','rejected','expired')",
            name="agent_decision_final",
        ),
        CheckConstraint(
            "(kind = 'proposal' AND verdict IS NOT NULL AND proposal_row_id IS NULL"
            " AND final_decision IS NULL)"
            " OR (kind = 'decision' AND final_decision IS NOT NULL"
            " AND proposal_row_id IS NOT NULL AND approver IS NOT NULL)",
            name="agent_decision_shape",
        ),
        CheckConstraint(
            "final_points IS NULL OR final_points > 0", name="agent_decision_points_positive"
        ),
        Index("ix_agent_decisions_member_created", "member_id", "created_at"),
    )

"""Operators read the audit log and the agents' decision log: newest first, paged by row id.

Both tables are append-only, so a page that ends at row ``n`` continues with
the rows below ``n`` however many rows arrive meanwhile: keyset paging never
skips or repeats a row, where an offset would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from loyalty.ledger.decision_models import AgentDecision
from loyalty.ledger.models import AuditRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    """Exact matches; ``None`` matches anything."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionFilter:
    member_id: str | None = None
    case_id: str | None = None
    kind: str | None = None


def audit_page(
    session: Session, *, where: AuditFilter, before_id: int | None, limit: int
) -> Sequence[AuditRecord]:
    """Up to ``limit`` audit rows older than ``before_id``, newest first."""
    conditions = _equal(
        (AuditRecord.actor, where.actor),
        (AuditRecord.action, where.action),
        (AuditRecord.target, where.target),
    )
    if before_id is not None:
        conditions.append(AuditRecord.id < before_id)
    query = select(AuditRecord).where(*conditions).order_by(AuditRecord.id.desc()).limit(limit)
    return session.scalars(query).all()


def decision_page(
    session: Session, *, where: DecisionFilter, before_id: int | None, limit: int
) -> Sequence[AgentDecision]:
    """Up to ``limit`` decision-log rows older than ``before_id``, newest first."""
    conditions = _equal(
        (AgentDecision.member_id, where.member_id),
        (AgentDecision.case_id, where.case_id),
        (AgentDecision.kind, where.kind),
    )
    if before_id is not None:
        conditions.append(AgentDecision.id < before_id)
    query = select(AgentDecision).where(*conditions).order_by(AgentDecision.id.desc()).limit(limit)
    return session.scalars(query).all()


def _equal(*pairs: tuple[InstrumentedAttribute[str], str | None]) -> list[ColumnElement[bool]]:
    return [column == value for column, value in pairs if value is not None]

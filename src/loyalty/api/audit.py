"""Audit records for support-agent and operator actions: actor, action, target, reason."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from loyalty.api.auth import Principal, Role
from loyalty.ledger.models import AuditRecord


def record(
    sessions: sessionmaker[Session],
    principal: Principal,
    *,
    action: str,
    target: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit row; customers act on their own behalf and are not audited here."""
    if principal.role == Role.CUSTOMER:
        return
    with sessions.begin() as session:
        session.add(
            AuditRecord(
                actor=principal.subject,
                role=principal.role.value,
                action=action,
                target=target,
                reason=reason,
                details=details or {},
            )
        )

"""Audit rows for support-agent and operator actions through the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from loyalty.api.auth import Principal, Role
from loyalty.ledger import audit


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
        audit.record(
            session,
            actor=principal.subject,
            role=principal.role.value,
            action=action,
            target=target,
            reason=reason,
            details=details,
        )

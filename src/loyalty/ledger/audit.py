"""The audit log: who did what to which target, and why. The one way rows are written.

Append-only (a trigger refuses UPDATE and DELETE). Staff actions through the
API and the refunds the Refund workflow posts both land here, in the
transaction of the change they explain whenever there is one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from loyalty.ledger.models import AuditRecord


def record(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    target: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit row in ``session``'s transaction."""
    session.add(
        AuditRecord(
            actor=actor,
            role=role,
            action=action,
            target=target,
            reason=reason,
            details=details or {},
        )
    )

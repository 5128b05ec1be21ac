"""Members as staff manage them: enrol, correct the profile, freeze and unfreeze; each audited.

Every change locks the member's row and writes its audit row in the same
transaction. The tier is never set here: POL-TIER-001 leaves it to the tier
review (``ledger.tiers``), and a correction to loyalty operations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.domain.tiers import MemberStatus, lowest_tier
from loyalty.errors import IdempotencyConflictError, InvalidStateError, NotFoundError
from loyalty.ledger import audit
from loyalty.ledger.catalog import ensure_member
from loyalty.ledger.models import Member, Redemption

PROFILE_FIELDS = ("region", "display_name", "email", "notes")
# The redemptions a freeze cancels: not yet final, not parked for an operator.
PENDING_STATUSES = ("running", "awaiting_approval")


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who acts, for the audit row."""

    subject: str
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrolment:
    member_id: str
    region: str
    display_name: str | None = None
    email: str | None = None


def enrol(
    session: Session, enrolment: Enrolment, *, today: dt.date, by: Actor
) -> tuple[Member, bool]:
    """Create the member at the lowest tier with an empty account; ``(member, created)``.

    The member id is the idempotency key: the same enrolment again returns the
    member unchanged; another one with the same id is a conflict.

    Raises:
        IdempotencyConflictError: The id is taken by a member with other details.
    """
    existing = session.get(Member, enrolment.member_id)
    if existing is not None:
        _same_enrolment(existing, enrolment)
        return existing, False
    member = ensure_member(
        session,
        member_id=enrolment.member_id,
        tier=lowest_tier().value,
        region=enrolment.region,
        joined_on=today,
        display_name=enrolment.display_name,
        email=enrolment.email,
    )
    _audit(session, by, "member.enrol", member.id, details={"region": enrolment.region})
    return member, True


def update_profile(
    session: Session, *, member_id: str, changes: Mapping[str, Any], reason: str, by: Actor
) -> Member:
    """Apply ``changes`` (only ``PROFILE_FIELDS``); the audit row keeps before and after."""
    member = locked(session, member_id=member_id)
    before = {name: getattr(member, name) for name in changes}
    for name, value in changes.items():
        if name not in PROFILE_FIELDS:
            raise InvalidStateError(f"{name} is not a profile field")
        setattr(member, name, value)
    _audit(
        session, by, "member.update", member_id, reason, {"before": before, "after": dict(changes)}
    )
    return member


def freeze(session: Session, *, member_id: str, reason: str, by: Actor) -> bool:
    """Freeze an active account (POL-SECURITY-001); False when it was frozen already.

    Raises:
        InvalidStateError: The account is suspended or closed.
    """
    return _move(session, member_id, MemberStatus.ACTIVE, MemberStatus.FROZEN, reason, by)


def unfreeze(session: Session, *, member_id: str, reason: str, by: Actor) -> bool:
    """Make a frozen account active again; False when it was active already."""
    return _move(session, member_id, MemberStatus.FROZEN, MemberStatus.ACTIVE, reason, by)


def pending_redemptions(session: Session, *, member_id: str) -> Sequence[str]:
    """Ids of the member's redemptions whose mirror says running or awaiting a review."""
    query = select(Redemption.id).where(
        Redemption.member_id == member_id, Redemption.status.in_(PENDING_STATUSES)
    )
    return session.scalars(query.order_by(Redemption.created_at)).all()


def locked(session: Session, *, member_id: str) -> Member:
    member = session.scalars(select(Member).where(Member.id == member_id).with_for_update()).first()
    if member is None:
        raise NotFoundError(f"member {member_id} not found")
    return member


def _move(
    session: Session,
    member_id: str,
    source: MemberStatus,
    target: MemberStatus,
    reason: str,
    by: Actor,
) -> bool:
    member = locked(session, member_id=member_id)
    if member.status == target.value:
        return False
    if member.status != source.value:
        raise InvalidStateError(
            f"member {member_id} is {member.status}: only a {source.value} account can become "
            f"{target.value}"
        )
    member.status = target.value
    verb = "freeze" if target is MemberStatus.FROZEN else "unfreeze"
    _audit(session, by, f"member.{verb}", member_id, reason)
    return True


def _same_enrolment(member: Member, enrolment: Enrolment) -> None:
    differ = [
        name
        for name in ("region", "display_name", "email")
        if getattr(member, name) != getattr(enrolment, name)
    ]
    if differ:
        raise IdempotencyConflictError(
            f"member {member.id} is enrolled already with other details ({', '.join(differ)})",
            reasons=[f"{name} differs from the enrolled member" for name in differ],
        )


def _audit(
    session: Session,
    by: Actor,
    action: str,
    target: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor=by.subject,
        role=by.role,
        action=action,
        target=target,
        reason=reason,
        details=details,
    )

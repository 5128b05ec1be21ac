"""Promotions in the database: versions written once, the current version read at decision time.

Every change (create, reschedule, end) inserts the next version under a
per-promotion advisory lock, so two concurrent edits never write the
same version and never lose one another. ``live_promotions`` returns the
current version of every promotion whose window contains ``now``: the facts
a redemption decision, a member's catalog and an accrual price with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from loyalty.domain.promotions import Promotion, PromotionKind, PromotionScope, normalize_code
from loyalty.domain.tiers import Tier
from loyalty.errors import InvalidStateError, NotFoundError, PromoCodeUsedError
from loyalty.ledger.models import Hold, PromoCodeUse, PromotionVersion


@dataclass(frozen=True, slots=True, kw_only=True)
class PromotionChange:
    """What a new version says (every field; an edit copies what it does not change)."""

    campaign: str
    name: str
    kind: PromotionKind
    value: Decimal
    scope: PromotionScope
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    promo_code: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeUse:
    """A promo code a hold counts, with the version it priced and the uses allowed."""

    code: str
    promotion_id: str
    version: int
    allowed: int


def to_domain(row: PromotionVersion) -> Promotion:
    return Promotion(
        promotion_id=row.promotion_id,
        version=row.version,
        campaign=row.campaign,
        kind=PromotionKind(row.kind),
        value=Decimal(row.value),
        scope=PromotionScope(
            reward_ids=frozenset(row.reward_ids),
            categories=frozenset(row.categories),
            tiers=frozenset(Tier(t) for t in row.tiers),
        ),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        promo_code=row.promo_code,
    )


def change_of(row: PromotionVersion) -> PromotionChange:
    promotion = to_domain(row)
    return PromotionChange(
        campaign=row.campaign,
        name=row.name,
        kind=promotion.kind,
        value=promotion.value,
        scope=promotion.scope,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        promo_code=row.promo_code,
    )


def create(
    session: Session, *, promotion_id: str, change: PromotionChange, actor: str
) -> PromotionVersion:
    """Insert version 1.

    Raises:
        InvalidStateError: the id is taken.
    """
    if session.get(PromotionVersion, (promotion_id, 1)) is not None:
        raise InvalidStateError(f"promotion {promotion_id} already exists")
    return _insert(session, promotion_id=promotion_id, version=1, change=change, actor=actor)


def add_version(
    session: Session, *, promotion_id: str, change: PromotionChange, actor: str
) -> PromotionVersion:
    """Insert the next version, serialized per promotion by a transaction-scoped advisory lock.

    (Versions are INSERT-only for the app role, so no row lock: ``FOR UPDATE``
    needs the UPDATE privilege.)

    Raises:
        NotFoundError: no such promotion.
    """
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('promotion:' || :id))"), {"id": promotion_id}
    )
    latest = session.execute(
        select(func.max(PromotionVersion.version)).where(
            PromotionVersion.promotion_id == promotion_id
        )
    ).scalar_one()
    if latest is None:
        raise NotFoundError(f"promotion {promotion_id} not found")
    return _insert(
        session, promotion_id=promotion_id, version=int(latest) + 1, change=change, actor=actor
    )


def versions(session: Session, *, promotion_id: str) -> list[PromotionVersion]:
    """Every version, oldest first.

    Raises:
        NotFoundError: no such promotion.
    """
    rows = list(
        session.execute(
            select(PromotionVersion)
            .where(PromotionVersion.promotion_id == promotion_id)
            .order_by(PromotionVersion.version)
        ).scalars()
    )
    if not rows:
        raise NotFoundError(f"promotion {promotion_id} not found")
    return rows


def current_versions(session: Session) -> Sequence[PromotionVersion]:
    """The highest version of every promotion, by id."""
    latest = (
        select(PromotionVersion.promotion_id, func.max(PromotionVersion.version).label("v"))
        .group_by(PromotionVersion.promotion_id)
        .subquery()
    )
    return (
        session.execute(
            select(PromotionVersion)
            .join(
                latest,
                (PromotionVersion.promotion_id == latest.c.promotion_id)
                & (PromotionVersion.version == latest.c.v),
            )
            .order_by(PromotionVersion.promotion_id)
        )
        .scalars()
        .all()
    )


def live_promotions(session: Session, *, now: dt.datetime) -> tuple[Promotion, ...]:
    """The current version of every promotion whose window contains ``now``."""
    return tuple(
        promotion
        for promotion in (to_domain(row) for row in current_versions(session))
        if promotion.is_active_at(now)
    )


def code_uses(session: Session, *, member_id: str, promo_code: str) -> int:
    """How many redemptions of the member used ``promo_code``.

    A use whose hold was released (the redemption was refused, cancelled or
    compensated before capture) gives the use back: the member got nothing.
    Releases take the same account lock as holds, so the count is exact there.
    """
    released = (
        select(Hold.id)
        .where(
            Hold.member_id == PromoCodeUse.member_id,
            Hold.reference == PromoCodeUse.redemption_id,
            Hold.status == "released",
        )
        .exists()
    )
    return int(
        session.execute(
            select(func.count())
            .select_from(PromoCodeUse)
            .where(
                PromoCodeUse.member_id == member_id,
                PromoCodeUse.promo_code == normalize_code(promo_code),
                ~released,
            )
        ).scalar_one()
    )


def record_code_use(
    session: Session,
    *,
    redemption_id: str,
    member_id: str,
    promo_code: str,
    promotion_ref: tuple[str, int],
    allowed: int,
) -> None:
    """Count one use of ``promo_code``; the caller holds the member's account lock.

    A retried hold finds its own row and counts nothing twice. A redemption
    whose earlier hold was released and which holds again under the same id
    is refused by the hold's tombstone before it gets here.

    Raises:
        PromoCodeUsedError: the member has used the code ``allowed`` times already.
    """
    if session.get(PromoCodeUse, redemption_id) is not None:
        return
    if code_uses(session, member_id=member_id, promo_code=promo_code) >= allowed:
        raise PromoCodeUsedError(f"promo_code: already used {allowed} time(s) by this member")
    session.add(
        PromoCodeUse(
            redemption_id=redemption_id,
            member_id=member_id,
            promo_code=normalize_code(promo_code),
            promotion_id=promotion_ref[0],
            promotion_version=promotion_ref[1],
        )
    )
    session.flush()


def _insert(
    session: Session, *, promotion_id: str, version: int, change: PromotionChange, actor: str
) -> PromotionVersion:
    row = PromotionVersion(
        promotion_id=promotion_id,
        version=version,
        campaign=change.campaign,
        name=change.name,
        kind=change.kind.value,
        value=change.value,
        reward_ids=sorted(change.scope.reward_ids),
        categories=sorted(change.scope.categories),
        tiers=sorted(t.value for t in change.scope.tiers),
        starts_at=change.starts_at,
        ends_at=change.ends_at,
        promo_code=normalize_code(change.promo_code) if change.promo_code else None,
        changed_by=actor,
    )
    session.add(row)
    session.flush()
    return row

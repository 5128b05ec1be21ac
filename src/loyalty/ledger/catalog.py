"""Members, their accounts, and the reward catalog: the reference data the saga reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from loyalty import domain
from loyalty.errors import NotFoundError
from loyalty.ledger.models import Account, Member, Reward


def ensure_member(
    session: Session,
    *,
    member_id: str,
    tier: str,
    region: str,
    joined_on: dt.date,
    status: str = "active",
    notes: str = "",
    display_name: str | None = None,
    email: str | None = None,
) -> Member:
    """Create a member and an empty account, or return the existing member unchanged."""
    session.execute(
        insert(Member)
        .values(
            id=member_id,
            tier=tier,
            status=status,
            region=region,
            joined_on=joined_on,
            notes=notes,
            display_name=display_name,
            email=email,
            tier_changed_on=joined_on,
        )
        .on_conflict_do_nothing(index_elements=[Member.id])
    )
    session.execute(
        insert(Account)
        .values(member_id=member_id, available=0, held=0)
        .on_conflict_do_nothing(index_elements=[Account.member_id])
    )
    return get_member(session, member_id=member_id)


# Stock moves only through ledger operations (holds, releases, refunds) and
# restocking: a catalog update never overwrites it.
_STOCK = ("inventory", "stock_received")


def upsert_reward(session: Session, *, reward: Reward) -> None:
    """Insert a catalog entry with its initial stock, or update its description and terms."""
    values = {c.name: getattr(reward, c.name) for c in Reward.__table__.columns}
    values["stock_received"] = values["inventory"]
    terms = {name: value for name, value in values.items() if name not in _STOCK}
    session.execute(
        insert(Reward)
        .values(**values)
        .on_conflict_do_update(index_elements=[Reward.id], set_=terms)
    )


def get_member(session: Session, *, member_id: str) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFoundError(f"member {member_id} not found")
    return member


def get_reward(session: Session, *, reward_id: str) -> Reward:
    reward = session.get(Reward, reward_id)
    if reward is None:
        raise NotFoundError(f"reward {reward_id} not found")
    return reward


def list_active_rewards(session: Session) -> Sequence[Reward]:
    return session.scalars(select(Reward).where(Reward.active).order_by(Reward.id)).all()


def member_profile(member: Member) -> domain.MemberProfile:
    """The member as the pure eligibility rules see it."""
    return domain.MemberProfile(
        member_id=member.id,
        tier=domain.Tier(member.tier),
        status=domain.MemberStatus(member.status),
        region=member.region,
    )


def reward_terms(reward: Reward) -> domain.RewardTerms:
    """The reward as the pure eligibility rules see it (no region list: everywhere)."""
    return domain.RewardTerms(
        reward_id=reward.id,
        active=reward.active,
        minimum_tier=domain.Tier(reward.min_tier),
        inventory=reward.inventory,
        allowed_regions=frozenset(reward.regions) if reward.regions is not None else None,
    )

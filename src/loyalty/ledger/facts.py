"""Everything a redemption's decision needs, read once in one session.

One read of the member, the reward, the balance and the member's redemption
history, instead of one read per check: the facts the decision saw are
consistent with each other, and a redemption costs one round of queries.
A member's catalog reads the member's side once and pairs it with every
active reward, so its facts are the ones the saga would read for each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from loyalty.domain.promotions import Promotion
from loyalty.domain.redemption import RedemptionFacts, RedemptionHistory
from loyalty.ledger import catalog, promotions, reads, redemptions
from loyalty.ledger.models import Member, Reward
from loyalty.ledger.results import Balance


def read_redemption_facts(
    session: Session,
    *,
    member_id: str,
    reward_id: str,
    quantity: int,
    channel: str,
    device_id: str | None,
    now: dt.datetime,
    exclude_id: str,
    promo_code: str | None = None,
) -> RedemptionFacts:
    """The facts as of ``now``; ``exclude_id`` names this redemption, left out of the history.

    ``promo_code`` is the code the member entered; the live promotions are read here.

    Raises:
        NotFoundError: The member or the reward is unknown.
    """
    side = _member_side(session, member_id=member_id, now=now, exclude_id=exclude_id)
    reward = catalog.get_reward(session, reward_id=reward_id)
    return side.facts(
        reward, quantity=quantity, channel=channel, device_id=device_id, promo_code=promo_code
    )


@dataclass(frozen=True, slots=True)
class CatalogFacts:
    """The member's side, read once, and each active reward with one unit's facts."""

    member: Member
    balance: Balance
    rewards: list[tuple[Reward, RedemptionFacts]]


def read_catalog_facts(
    session: Session, *, member_id: str, channel: str, now: dt.datetime
) -> CatalogFacts:
    """Every active reward with the facts the saga would read for one unit of it, for this member.

    Raises:
        NotFoundError: The member is unknown.
    """
    # no redemption of the member carries this id: the history excludes nothing
    side = _member_side(session, member_id=member_id, now=now, exclude_id="")
    rewards = [
        (reward, side.facts(reward, quantity=1, channel=channel, device_id=None))
        for reward in catalog.list_active_rewards(session)
    ]
    return CatalogFacts(member=side.member, balance=side.balance, rewards=rewards)


@dataclass(frozen=True, slots=True)
class _MemberSide:
    member: Member
    balance: Balance
    history: RedemptionHistory
    promotions: tuple[Promotion, ...]

    def facts(
        self,
        reward: Reward,
        *,
        quantity: int,
        channel: str,
        device_id: str | None,
        promo_code: str | None = None,
    ) -> RedemptionFacts:
        return RedemptionFacts(
            member=catalog.member_profile(self.member),
            joined_on=self.member.joined_on,
            reward=catalog.reward_terms(reward),
            unit_cost=reward.point_cost,
            quantity=quantity,
            channel=channel,
            device_id=device_id,
            available=self.balance.available,
            held=self.balance.held,
            history=self.history,
            category=reward.category,
            promotions=self.promotions,
            promo_code=promo_code,
        )


def _member_side(
    session: Session, *, member_id: str, now: dt.datetime, exclude_id: str
) -> _MemberSide:
    member = catalog.get_member(session, member_id=member_id)
    balance = reads.get_balance(session, member_id=member_id, as_of=now)
    history = redemptions.member_history(
        session, member_id=member_id, now=now, exclude_id=exclude_id
    )
    live = promotions.live_promotions(session, now=now)
    return _MemberSide(member=member, balance=balance, history=history, promotions=live)

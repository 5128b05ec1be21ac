"""Everything a redemption's decision needs, read once in one session.

One read of the member, the reward, the balance and the member's redemption
history, instead of one read per check: the facts the decision saw are
consistent with each other, and a redemption costs one round of queries.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from loyalty.domain.redemption import RedemptionFacts
from loyalty.ledger import catalog, reads, redemptions


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
) -> RedemptionFacts:
    """The facts as of ``now``; ``exclude_id`` names this redemption, left out of the history.

    Raises:
        NotFoundError: The member or the reward is unknown.
    """
    member = catalog.get_member(session, member_id=member_id)
    reward = catalog.get_reward(session, reward_id=reward_id)
    balance = reads.get_balance(session, member_id=member_id, as_of=now)
    history = redemptions.member_history(
        session, member_id=member_id, now=now, exclude_id=exclude_id
    )
    return RedemptionFacts(
        member=catalog.member_profile(member),
        joined_on=member.joined_on,
        reward=catalog.reward_terms(reward),
        unit_cost=reward.point_cost,
        quantity=quantity,
        channel=channel,
        device_id=device_id,
        available=balance.available,
        held=balance.held,
        history=history,
    )

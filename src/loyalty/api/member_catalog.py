"""A member's catalog: every active reward at the member's price, with every reason it is refused.

It runs the redemption decision's own pieces (``domain.redemption.offer_of``
over ``ledger.facts``, with the rules of ``RedemptionRulebook``), so the
price a member is shown is the price the saga charges. The live promotions
arrive with the same facts (``ledger.facts``) and stack by the same rules.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from loyalty.api import views
from loyalty.api.catalog_schemas import MemberCatalogPublic, MemberRewardPublic, ReasonPublic
from loyalty.domain.redemption import Offer, RedemptionRules, offer_of
from loyalty.ledger.facts import read_catalog_facts
from loyalty.ledger.models import Reward
from loyalty.ledger.operation import utc_now


def member_catalog(
    sessions: sessionmaker[Session], rules: RedemptionRules, *, member_id: str, channel: str
) -> MemberCatalogPublic:
    """Price every active reward for ``member_id`` now; raises ``NotFoundError`` if unknown."""
    now = utc_now()
    with sessions() as session:
        found = read_catalog_facts(session, member_id=member_id, channel=channel, now=now)
    offers = [(reward, offer_of(facts, rules, now=now)) for reward, facts in found.rewards]
    return MemberCatalogPublic(
        member_id=member_id,
        tier=found.member.tier,
        status=found.member.status,
        available=found.balance.available,
        held=found.balance.held,
        priced_at=now,
        data=[_line(reward, offer) for reward, offer in offers],
        next_cursor=None,
    )


def _line(reward: Reward, offer: Offer) -> MemberRewardPublic:
    return MemberRewardPublic(
        **views.reward(reward).model_dump(),
        price=views.price_check(offer.price),
        redeemable=offer.redeemable,
        reasons=[ReasonPublic(code=str(r.code), message=r.message) for r in offer.reasons],
    )

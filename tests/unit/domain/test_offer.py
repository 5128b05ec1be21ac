"""A member's catalog line: the decision's own price, and every reason at once."""

from __future__ import annotations

import dataclasses

from loyalty.domain.eligibility import RedemptionLimits
from loyalty.domain.redemption import Outcome, decide_redemption, offer_of
from loyalty.domain.tiers import MemberStatus, Tier
from tests.unit.domain.factories import NOW, make_member, make_reward
from tests.unit.domain.test_limits import RULES, facts

DISCOUNTED = dataclasses.replace(RULES, tier_discount_percent={Tier.GOLD: 10})


def codes(offer_reasons: tuple[object, ...]) -> list[str]:
    return [str(getattr(reason, "code")) for reason in offer_reasons]  # noqa: B009


def test_the_offer_price_is_the_decision_price() -> None:
    gold = dataclasses.replace(facts(cost=1_000, available=50_000), member=make_member())

    offer = offer_of(gold, DISCOUNTED, now=NOW)
    decision = decide_redemption(gold, DISCOUNTED, now=NOW)

    assert decision.outcome is Outcome.PROCEED and decision.price is not None
    assert offer.price == decision.price
    assert offer.price.total == 900
    assert offer.redeemable and offer.reasons == ()


def test_every_reason_is_reported_where_the_decision_stops_at_the_first() -> None:
    blocked = dataclasses.replace(
        facts(cost=30_000, available=10, today=5, this_month=5),
        member=make_member(tier=Tier.BRONZE, region="FR"),
        reward=make_reward(minimum_tier=Tier.GOLD, inventory=0, allowed_regions=frozenset({"US"})),
    )

    offer = offer_of(blocked, RULES, now=NOW)

    assert not offer.redeemable
    assert codes(offer.reasons) == [
        "tier_too_low",
        "out_of_stock",
        "daily_limit_reached",
        "region_not_allowed",
        "above_tier_maximum",
        "insufficient_points",
    ]
    assert offer.price.total == 30_000


def test_a_frozen_member_sees_why_and_the_decision_refuses_with_the_same_words() -> None:
    frozen = dataclasses.replace(
        facts(cost=1_000, available=50_000), member=make_member(status=MemberStatus.FROZEN)
    )

    offer = offer_of(frozen, RULES, now=NOW)
    decision = decide_redemption(frozen, RULES, now=NOW)

    assert codes(offer.reasons) == ["member_frozen"]
    assert decision.outcome is Outcome.REJECT
    assert decision.reasons == (offer.reasons[0].message,)
    assert "frozen" in decision.reasons[0] and "POL-SECURITY-001" in decision.reasons[0]


def test_the_monthly_count_limit_is_a_reason_too() -> None:
    rules = dataclasses.replace(RULES, limits=RedemptionLimits(per_day=5, per_month=5))
    offer = offer_of(facts(cost=1_000, available=50_000, this_month=5), rules, now=NOW)
    assert codes(offer.reasons) == ["monthly_limit_reached"]

"""The tier ladder orders by rank, never by spelling."""

from __future__ import annotations

import pytest

from loyalty.domain.tiers import MemberStatus, Tier, highest_tier, lowest_tier

LADDER = [Tier.BRONZE, Tier.SILVER, Tier.GOLD, Tier.PLATINUM]


def test_ladder_order() -> None:
    assert sorted(reversed(LADDER)) == LADDER
    assert Tier.BRONZE < Tier.SILVER < Tier.GOLD < Tier.PLATINUM


def test_gold_beats_silver_although_alphabetically_smaller() -> None:
    # "gold" < "silver" as strings: an ordering by value would get this wrong.
    assert Tier.GOLD > Tier.SILVER
    assert Tier.GOLD >= Tier.SILVER
    assert not Tier.GOLD <= Tier.SILVER


@pytest.mark.parametrize(
    ("tier", "minimum", "expected"),
    [
        (Tier.GOLD, Tier.GOLD, True),
        (Tier.PLATINUM, Tier.BRONZE, True),
        (Tier.SILVER, Tier.GOLD, False),
        (Tier.BRONZE, Tier.SILVER, False),
    ],
)
def test_at_least(tier: Tier, minimum: Tier, expected: bool) -> None:
    assert tier.at_least(minimum) is expected


def test_ranks_are_consecutive_from_zero() -> None:
    assert [tier.rank for tier in LADDER] == [0, 1, 2, 3]


def test_ends_of_ladder() -> None:
    assert lowest_tier() is Tier.BRONZE
    assert highest_tier() is Tier.PLATINUM


def test_comparison_with_non_tier_is_refused() -> None:
    with pytest.raises(TypeError):
        _ = Tier.GOLD < "silver"  # accepted by the type checker, refused at runtime


def test_wire_values_are_lowercase_names() -> None:
    assert Tier("platinum") is Tier.PLATINUM
    assert {status.value for status in MemberStatus} == {"active", "frozen", "suspended", "closed"}

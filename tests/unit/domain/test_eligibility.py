"""Every eligibility rule, its boundaries, and reporting of all failures."""

from __future__ import annotations

import pytest

from loyalty.domain.eligibility import (
    EligibilityCode,
    EligibilityResult,
    RedemptionLimits,
    RedemptionUsage,
    check_eligibility,
)
from loyalty.domain.reasons import Reason
from loyalty.domain.tiers import MemberStatus, Tier
from loyalty.errors import ValidationError
from tests.unit.domain.factories import make_eligibility_input, make_member, make_reward


def codes(**kwargs: object) -> list[str]:
    return list(check_eligibility(make_eligibility_input(**kwargs)).codes)  # type: ignore[arg-type]


def test_clean_case_is_eligible_with_no_reasons() -> None:
    result = check_eligibility(make_eligibility_input())
    assert result.eligible is True
    assert result.reasons == ()


@pytest.mark.parametrize("status", [MemberStatus.SUSPENDED, MemberStatus.CLOSED])
def test_inactive_member_is_refused(status: MemberStatus) -> None:
    result = check_eligibility(make_eligibility_input(member=make_member(status=status)))
    assert result.eligible is False
    assert result.codes == ("member_not_active",)
    assert status.value in result.reasons[0].message


def test_tier_below_minimum_is_refused() -> None:
    data = make_eligibility_input(
        member=make_member(tier=Tier.SILVER), reward=make_reward(minimum_tier=Tier.GOLD)
    )
    result = check_eligibility(data)
    assert result.codes == ("tier_too_low",)
    assert "gold" in result.reasons[0].message and "silver" in result.reasons[0].message


def test_tier_equal_to_minimum_is_enough() -> None:
    data = make_eligibility_input(
        member=make_member(tier=Tier.GOLD), reward=make_reward(minimum_tier=Tier.GOLD)
    )
    assert check_eligibility(data).eligible


def test_inactive_reward_is_refused() -> None:
    assert codes(reward=make_reward(active=False)) == ["reward_inactive"]


@pytest.mark.parametrize(
    ("quantity", "inventory", "ok"),
    [
        (5, 5, True),  # exactly the stock left
        (6, 5, False),
        (1, 0, False),  # sold out
        (10_000, None, True),  # None means unlimited
    ],
)
def test_stock(quantity: int, inventory: int | None, ok: bool) -> None:
    got = codes(quantity=quantity, reward=make_reward(inventory=inventory))
    assert got == ([] if ok else ["out_of_stock"])


@pytest.mark.parametrize(
    ("today", "per_day", "ok"),
    [
        (2, 3, True),  # this redemption becomes the 3rd of 3
        (3, 3, False),  # a 4th would exceed 3
        (0, 0, False),  # a limit of 0 disables redeeming
    ],
)
def test_daily_limit(today: int, per_day: int, ok: bool) -> None:
    got = codes(today=today, this_month=today, per_day=per_day, per_month=100)
    assert got == ([] if ok else ["daily_limit_reached"])


@pytest.mark.parametrize(("this_month", "per_month", "ok"), [(9, 10, True), (10, 10, False)])
def test_monthly_limit(this_month: int, per_month: int, ok: bool) -> None:
    got = codes(today=0, this_month=this_month, per_day=3, per_month=per_month)
    assert got == ([] if ok else ["monthly_limit_reached"])


def test_limits_count_redemptions_not_units() -> None:
    # 5 units in one redemption, with 2 of 3 redemptions used today: allowed.
    assert codes(quantity=5, today=2, this_month=2, per_day=3) == []


@pytest.mark.parametrize(
    ("allowed", "region", "ok"),
    [
        (None, "FR", True),
        (frozenset({"US", "CA"}), "CA", True),
        (frozenset({"us"}), " US ", True),  # codes are normalised
        (frozenset({"US", "CA"}), "FR", False),
        (frozenset(), "US", False),  # an empty set means nowhere
    ],
)
def test_region(allowed: frozenset[str] | None, region: str, ok: bool) -> None:
    got = codes(member=make_member(region=region), reward=make_reward(allowed_regions=allowed))
    assert got == ([] if ok else ["region_not_allowed"])


def test_every_failure_is_reported_in_fixed_order() -> None:
    data = make_eligibility_input(
        member=make_member(status=MemberStatus.CLOSED, tier=Tier.BRONZE, region="FR"),
        reward=make_reward(
            active=False, minimum_tier=Tier.PLATINUM, inventory=1, allowed_regions=frozenset({"US"})
        ),
        quantity=2,
        today=3,
        this_month=10,
        per_day=3,
        per_month=10,
    )
    result = check_eligibility(data)
    assert result.eligible is False
    # a suspended member: every code but the frozen one, which a status excludes
    expected = [c.value for c in EligibilityCode if c is not EligibilityCode.MEMBER_FROZEN]
    assert list(result.codes) == expected
    assert all(reason.message for reason in result.reasons)


def test_two_failures_only_those_two() -> None:
    got = codes(reward=make_reward(active=False, inventory=0))
    assert got == ["reward_inactive", "out_of_stock"]


def test_codes_are_stable_strings() -> None:
    assert {code.value for code in EligibilityCode} == {
        "member_frozen",
        "member_not_active",
        "tier_too_low",
        "reward_inactive",
        "out_of_stock",
        "daily_limit_reached",
        "monthly_limit_reached",
        "region_not_allowed",
    }


@pytest.mark.parametrize("quantity", [0, -1])
def test_non_positive_quantity_is_invalid_input(quantity: int) -> None:
    with pytest.raises(ValidationError):
        make_eligibility_input(quantity=quantity)


def test_invalid_usage_and_limits() -> None:
    with pytest.raises(ValidationError):
        RedemptionUsage(today=-1, this_month=0)
    with pytest.raises(ValidationError, match="cannot exceed"):
        RedemptionUsage(today=2, this_month=1)
    with pytest.raises(ValidationError):
        RedemptionLimits(per_day=-1, per_month=1)
    with pytest.raises(ValidationError):
        make_reward(inventory=-1)


def test_result_must_be_consistent() -> None:
    reason = Reason(code="x", message="y")
    with pytest.raises(ValidationError):
        EligibilityResult(eligible=True, reasons=(reason,))
    with pytest.raises(ValidationError):
        EligibilityResult(eligible=False, reasons=())

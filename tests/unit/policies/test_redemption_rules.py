"""The redemption decision's numbers are the policies' numbers (issue 9, scenario 8).

Settings used to carry their own copies (a 24 h review timeout against the
policy's 48 h, a 14-day young-account window against its 30): these tests read
the front matter and compare, so the two cannot drift again.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from loyalty.config import Settings
from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError
from loyalty.policies.book import PolicyBook
from loyalty.policies.rules import RedemptionRulebook
from tests.support.policies import POLICIES, policies_with

TODAY = dt.date(2026, 11, 23)


def rulebook(folder: Path = POLICIES) -> RedemptionRulebook:
    weights = Settings().fraud_weights()  # development defaults
    return RedemptionRulebook(PolicyBook(folder), fraud_weights=weights)


def test_limits_come_from_pol_redemption_001() -> None:
    rules = rulebook().rules(today=TODAY)
    assert (rules.points.min_points, rules.points.increment_points) == (500, 100)
    assert rules.points.max_points[Tier.BRONZE] == 25_000
    assert rules.points.max_points[Tier.PLATINUM] == 200_000
    assert rules.points.ceiling(Tier.SILVER).daily == 100_000
    assert rules.points.ceiling(Tier.GOLD).monthly == 600_000
    assert rules.limits.per_day == 5
    assert rules.limits.per_month is None  # the policy states no monthly count


def test_fraud_review_numbers_come_from_pol_fraud_001() -> None:
    rules = rulebook().rules(today=TODAY)
    assert rules.review_timeout_s == 48 * 3600
    # "opened less than 30 days ago": the young-account signal fires up to day 29
    assert rules.fraud.new_account_max_age_days == 29
    assert (rules.review.above_points, rules.review.new_account_above_points) == (50_000, 10_000)
    assert (rules.review.new_account_days, rules.review.max_in_24h) == (30, 5)


def test_tier_discounts_come_from_pol_tier_001() -> None:
    assert rulebook().rules(today=TODAY).tier_discount_percent == {
        Tier.BRONZE: 0,
        Tier.SILVER: 5,
        Tier.GOLD: 10,
        Tier.PLATINUM: 15,
    }


def test_settings_no_longer_carry_the_policy_numbers() -> None:
    names = set(Settings.model_fields)
    assert not names & {
        "daily_redemption_limit",
        "monthly_redemption_limit",
        "fraud_review_timeout_s",
        "fraud_new_account_max_age_days",
        "tier_discount_percent",
    }


def test_a_new_policy_version_applies_without_a_restart(tmp_path: Path) -> None:
    folder = policies_with(tmp_path / "policies", {})
    book = rulebook(folder)
    assert book.rules(today=TODAY).points.min_points == 500
    path = folder / "redemption-rules.md"
    path.write_text(
        path.read_text().replace(
            "min_points_per_redemption: 500", "min_points_per_redemption: 1000"
        )
    )
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert book.rules(today=TODAY).points.min_points == 1_000


@pytest.mark.parametrize(
    ("file", "key", "value"),
    [
        ("redemption-rules.md", "daily_redemption_limit", "{bronze: 1, silver: 2}"),
        ("redemption-rules.md", "min_points_per_redemption", "0"),
        ("fraud-review.md", "fraud_review_timeout_hours", "soon"),
    ],
)
def test_a_missing_or_malformed_number_refuses_to_decide(
    tmp_path: Path, file: str, key: str, value: str
) -> None:
    folder = policies_with(tmp_path / "policies", {file: {key: value}})
    with pytest.raises(ValidationError):
        rulebook(folder).rules(today=TODAY)

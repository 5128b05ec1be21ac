"""Guardrail numbers come from the policies in force, so policy and enforcement cannot drift."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError
from loyalty.policies.corpus import load_policy_files, select_current
from loyalty.policies.parameters import (
    PARAMETER_SOURCES,
    build_program_parameters,
    load_program_parameters,
)

POLICIES = Path(__file__).resolve().parents[3] / "policies"
TODAY = dt.date(2026, 11, 23)


def test_every_parameter_equals_its_policys_front_matter() -> None:
    current = select_current(load_policy_files(POLICIES), today=TODAY)
    params = build_program_parameters(current)
    for field_name, (policy_id, key) in PARAMETER_SOURCES.items():
        stated = current[policy_id].parameters[key]
        enforced = getattr(params, field_name)
        if isinstance(stated, dict):
            enforced = {tier.value: points for tier, points in enforced.items()}
        assert enforced == stated, field_name


def test_current_goodwill_caps_not_the_archived_ones() -> None:
    params = load_program_parameters(POLICIES, today=TODAY)
    assert params.goodwill_max_points[Tier.SILVER] == 1_000  # v2 said 2,000
    assert params.goodwill_max_per_member_30d == 2  # v2 said 3
    assert params.policy_versions["POL-GOODWILL-001"] == 3
    assert len(params.policy_versions) == 17


def test_a_partial_corpus_fails_loudly_instead_of_defaulting() -> None:
    with pytest.raises(ValidationError, match="POL-BUDGET-001"):
        load_program_parameters(POLICIES / "archive", today=dt.date(2025, 6, 1))


def test_missing_policy_or_parameter_fails_loudly() -> None:
    current = select_current(load_policy_files(POLICIES), today=TODAY)
    with pytest.raises(ValidationError, match="POL-BUDGET-001"):
        build_program_parameters({k: v for k, v in current.items() if k != "POL-BUDGET-001"})

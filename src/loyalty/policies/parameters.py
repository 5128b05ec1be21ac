"""Build the guardrails' :class:`ProgramParameters` from the policies in force.

Each number is read from the front matter of the policy that states it (the
table below says which), so changing a cap means publishing a new policy
version, and the guardrails follow it on the next load. A missing policy or
parameter is an error, never a silent default: a guardrail without its limit
would fail open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loyalty.domain.approvals import APPROVAL_POLICY, ApprovalRules
from loyalty.domain.program import TIERED_PARAMETERS, ProgramParameters, TierPoints
from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError
from loyalty.policies.corpus import PolicyDocument, load_policy_files, select_current

# field of ProgramParameters -> (policy id, front-matter parameter)
PARAMETER_SOURCES: Mapping[str, tuple[str, str]] = {
    "goodwill_max_points": ("POL-GOODWILL-001", "goodwill_max_points"),
    "goodwill_max_per_member_30d": ("POL-GOODWILL-001", "goodwill_max_per_member_30d"),
    "goodwill_daily_budget_points": ("POL-BUDGET-001", "goodwill_daily_budget_points"),
    "retention_offer_max_points": ("POL-RETENTION-001", "retention_offer_max_points"),
    "retention_offer_max_per_member_90d": (
        "POL-RETENTION-001",
        "retention_offer_max_per_member_90d",
    ),
    "retention_min_tenure_days": ("POL-RETENTION-001", "retention_min_tenure_days"),
    "retention_daily_budget_points": ("POL-BUDGET-001", "retention_daily_budget_points"),
    "approval_threshold_points": ("POL-APPROVAL-001", "approval_threshold_points"),
    "max_points_per_redemption": ("POL-REDEMPTION-001", "max_points_per_redemption"),
    "min_points_per_redemption": ("POL-REDEMPTION-001", "min_points_per_redemption"),
    "min_policy_citations": ("POL-AGENT-001", "min_policy_citations"),
}


def build_program_parameters(current: Mapping[str, PolicyDocument]) -> ProgramParameters:
    """Read every guardrail number from the current policy documents.

    Args:
        current: The version in force of each policy id (see ``select_current``).

    Raises:
        ValidationError: A policy or parameter is missing or malformed.
    """
    values: dict[str, Any] = {}
    for field_name, (policy_id, key) in PARAMETER_SOURCES.items():
        raw = parameter(current, policy_id, key)
        values[field_name] = tier_points(raw, name=key) if field_name in TIERED_PARAMETERS else raw
    versions = {policy_id: document.version for policy_id, document in current.items()}
    return ProgramParameters(**values, policy_versions=versions)


def parameter(current: Mapping[str, PolicyDocument], policy_id: str, key: str) -> Any:
    """One front-matter parameter of the version in force of ``policy_id``.

    Raises:
        ValidationError: The policy is not in force or does not state the parameter:
            a rule without its number must fail, never fall back to a guess.
    """
    document = current.get(policy_id)
    if document is None:
        raise ValidationError(f"no version of {policy_id} is in force")
    if key not in document.parameters:
        raise ValidationError(f"{policy_id} v{document.version} has no parameter {key}")
    return document.parameters[key]


def build_approval_rules(current: Mapping[str, PolicyDocument]) -> ApprovalRules:
    """Who may approve, when two must and how long a case may wait, from POL-APPROVAL-001.

    Raises:
        ValidationError: The policy, its ``approver_roles``, its threshold or its
            positive ``approval_timeout_hours`` is missing.
    """
    document = current.get(APPROVAL_POLICY)
    if document is None:
        raise ValidationError(f"no version of {APPROVAL_POLICY} is in force")
    roles = document.parameters.get("approver_roles")
    threshold = document.parameters.get("second_approver_threshold_points")
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
        raise ValidationError(f"{APPROVAL_POLICY} must list approver_roles")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold <= 0:
        raise ValidationError(
            f"{APPROVAL_POLICY} needs a positive second_approver_threshold_points"
        )
    hours = document.parameters.get("approval_timeout_hours")
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        raise ValidationError(f"{APPROVAL_POLICY} needs a positive approval_timeout_hours")
    return ApprovalRules(
        approver_roles=frozenset(roles),
        second_approver_threshold_points=threshold,
        approval_timeout_hours=float(hours),
    )


def load_program_parameters(root: Path, *, today: dt.date | None = None) -> ProgramParameters:
    """Parse the corpus under ``root`` and build the parameters in force on ``today``."""
    day = today or dt.datetime.now(dt.UTC).date()
    return build_program_parameters(select_current(load_policy_files(root), today=day))


def tier_points(raw: object, *, name: str) -> TierPoints:
    if not isinstance(raw, dict):
        raise ValidationError(f"{name} must map tiers to points")
    try:
        return {Tier(str(tier)): points for tier, points in raw.items()}
    except ValueError as exc:
        raise ValidationError(f"{name}: {exc}") from exc

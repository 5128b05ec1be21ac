"""The policy folder as the running product sees it: what is in force today, and its numbers.

Parsing the corpus takes a few milliseconds; it is cached by the files' paths,
sizes and modification times, so publishing a new version (a new file, or an
edited one) applies on the next read without a restart.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from loyalty.domain.approvals import ApprovalRules
from loyalty.domain.credit_caps import CreditLimits, CreditPurpose
from loyalty.domain.earning import EarningRules, require_tier_multipliers
from loyalty.domain.expiry import ExpiryRules, notice_days, per_tier_ints
from loyalty.domain.program import ProgramParameters
from loyalty.domain.promotions import StackingRules
from loyalty.domain.refunds import RefundRules
from loyalty.domain.tier_review import TierRules
from loyalty.errors import ValidationError
from loyalty.policies.corpus import PolicyDocument, load_policy_files, select_current
from loyalty.policies.parameters import (
    build_approval_rules,
    build_program_parameters,
    parameter,
    tier_points,
)

EXPIRY_POLICY = "POL-EXPIRY-001"
REFUND_POLICY = "POL-REFUND-001"
REDEMPTION_POLICY = "POL-REDEMPTION-001"
BUDGET_POLICY = "POL-BUDGET-001"
ACCRUAL_POLICY = "POL-ACCRUAL-001"
TIER_POLICY = "POL-TIER-001"
PROMO_POLICY = "POL-PROMO-001"
DEFAULT_CREDIT_EXPIRY_MONTHS = 24

_Stamp = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class PolicyNumbers:
    """The numbers in force: guardrail parameters, the life of a credit, who approves."""

    parameters: ProgramParameters
    credit_expiry_days: int
    approvals: ApprovalRules


class PolicyBook:
    """The policies under ``root``; thread-safe, shared by a process's readers."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self._lock = threading.Lock()
        self._stamp: _Stamp = ()
        self._documents: list[PolicyDocument] = []

    @property
    def root(self) -> Path:
        return self._root

    def documents(self) -> list[PolicyDocument]:
        """Every version of every policy (archive included), re-parsed when a file changed."""
        stamp = self._stamp_now()
        with self._lock:
            if stamp != self._stamp:
                self._documents = load_policy_files(self._root)
                self._stamp = stamp
            return self._documents

    def in_force(self, *, today: dt.date | None = None) -> dict[str, PolicyDocument]:
        """The version in force of each policy id on ``today`` (default: today, UTC)."""
        return select_current(self.documents(), today=today or _today())

    def numbers(self, *, today: dt.date | None = None) -> PolicyNumbers:
        """The guardrails' parameters and a credit's life, from the versions in force."""
        current = self.in_force(today=today)
        expiry = current.get(EXPIRY_POLICY)
        raw = expiry.parameters.get("points_inactivity_expiry_months") if expiry else None
        months = raw if isinstance(raw, int) and raw > 0 else DEFAULT_CREDIT_EXPIRY_MONTHS
        return PolicyNumbers(
            parameters=build_program_parameters(current),
            credit_expiry_days=months * 365 // 12,
            approvals=build_approval_rules(current),
        )

    def refund_rules(self, *, today: dt.date | None = None) -> RefundRules:
        """POL-REFUND-001's window, automatic maximum and approval time, in force today."""
        current = self.in_force(today=today)
        return RefundRules(
            window_days=parameter(current, REFUND_POLICY, "redemption_cancel_window_days"),
            auto_max_points=parameter(current, REFUND_POLICY, "auto_reversal_max_points"),
            approval_hours=parameter(current, REFUND_POLICY, "refund_processing_hours"),
        )

    def credit_limits(
        self, purpose: CreditPurpose, *, today: dt.date | None = None
    ) -> CreditLimits:
        """The caps a goodwill or retention credit must fit when it is posted.

        The per-member cap and the daily budget are the guardrails' own numbers;
        the monthly budget is POL-BUDGET-001's, checked only at posting.
        """
        current = self.in_force(today=today)
        params = build_program_parameters(current)
        if purpose is CreditPurpose.RETENTION:
            per_member = params.retention_offer_max_per_member_90d
            daily = params.retention_daily_budget_points
        else:
            per_member = params.goodwill_max_per_member_30d
            daily = params.goodwill_daily_budget_points
        monthly = parameter(current, BUDGET_POLICY, f"{purpose.value}_monthly_budget_points")
        return CreditLimits(
            purpose=purpose, per_member=per_member, daily_budget=daily, monthly_budget=monthly
        )

    def hold_expiry_minutes(self, *, today: dt.date | None = None) -> int:
        """POL-REDEMPTION-001: minutes after which an uncaptured hold is released.

        Raises:
            ValidationError: the policy or its positive ``hold_expiry_minutes`` is missing.
        """
        minutes = parameter(self.in_force(today=today), REDEMPTION_POLICY, "hold_expiry_minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            raise ValidationError(f"{REDEMPTION_POLICY} needs a positive hold_expiry_minutes")
        return minutes

    def earning_rules(self, *, today: dt.date | None = None) -> EarningRules:
        """What a purchase earns and how long it stays pending (ACCRUAL, TIER, PROMO in force).

        Raises:
            ValidationError: a policy or one of its numbers is missing or not positive.
        """
        current = self.in_force(today=today)
        multipliers = parameter(current, TIER_POLICY, "accrual_multiplier")
        if not isinstance(multipliers, dict):
            raise ValidationError(f"{TIER_POLICY} accrual_multiplier must map tiers to numbers")
        return EarningRules(
            base_points_per_currency_unit=_positive_int(
                parameter(current, ACCRUAL_POLICY, "base_points_per_currency_unit"),
                "base_points_per_currency_unit",
            ),
            tier_multipliers=require_tier_multipliers(multipliers),
            max_bonus_multiplier=_positive_decimal(
                parameter(current, PROMO_POLICY, "max_bonus_multiplier"), "max_bonus_multiplier"
            ),
            max_points_per_purchase=_positive_int(
                parameter(current, ACCRUAL_POLICY, "max_points_per_purchase"),
                "max_points_per_purchase",
            ),
            pending_period_days=_non_negative_int(
                parameter(current, ACCRUAL_POLICY, "pending_period_days"), "pending_period_days"
            ),
        )

    def stacking_rules(self, *, today: dt.date | None = None) -> StackingRules:
        """How promotions combine (POL-PROMO-001 in force).

        Raises:
            ValidationError: the policy or one of its numbers is missing or not positive.
        """
        return stacking_rules(self.in_force(today=today))

    def expiry_rules(self, *, today: dt.date | None = None) -> ExpiryRules:
        """Notices, extensions and reinstatements (POL-EXPIRY-001 in force).

        Raises:
            ValidationError: the policy or one of its numbers is missing or malformed.
        """
        current = self.in_force(today=today)

        def number(key: str) -> object:
            return parameter(current, EXPIRY_POLICY, key)

        return ExpiryRules(
            notice_days_before=notice_days(number("expiry_notice_days_before")),
            extension_max_days=per_tier_ints(
                number("extension_max_days"), name="extension_max_days"
            ),
            extension_max_per_12m=_positive_int(
                number("extension_max_per_member_12m"), "extension_max_per_member_12m"
            ),
            reinstatement_window_days=_positive_int(
                number("reinstatement_window_days"), "reinstatement_window_days"
            ),
            reinstatement_max_points=per_tier_ints(
                number("reinstatement_max_points"), name="reinstatement_max_points"
            ),
        )

    def tier_rules(self, *, today: dt.date | None = None) -> TierRules:
        """POL-TIER-001's thresholds, rolling window and downgrade grace, in force today.

        Raises:
            ValidationError: the policy or one of its numbers is missing or malformed.
        """
        current = self.in_force(today=today)
        return TierRules(
            thresholds=tier_points(
                parameter(current, TIER_POLICY, "tier_qualifying_points"),
                name="tier_qualifying_points",
            ),
            window_months=parameter(current, TIER_POLICY, "tier_qualification_window_months"),
            grace_months=parameter(current, TIER_POLICY, "tier_downgrade_grace_months"),
        )

    def approval_rules(self, *, today: dt.date | None = None) -> ApprovalRules:
        """Who may approve an assisted case, and when two must (POL-APPROVAL-001 in force)."""
        return build_approval_rules(self.in_force(today=today))

    def path_inside(self, path: str | None) -> Path:
        """``path`` (relative to the folder, or absolute inside it); the folder itself if None.

        Raises:
            ValidationError: The path leaves the policies folder or does not exist.
        """
        root = self._root
        target = (root / path).resolve() if path else root
        if target != root and root not in target.parents:
            raise ValidationError(f"{path} is outside the policies folder {root}")
        if not target.exists():
            raise ValidationError(f"{path} does not exist")
        return target

    def _stamp_now(self) -> _Stamp:
        paths = [self._root] if self._root.is_file() else sorted(self._root.rglob("*.md"))
        stats = ((str(path), path.stat()) for path in paths)
        return tuple((name, st.st_size, st.st_mtime_ns) for name, st in stats)


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError(f"{name} must be a positive integer, got {value!r}")
    return value


def _non_negative_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a whole number >= 0, got {value!r}")
    return value


def _positive_decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValidationError(f"{name} must be a positive number, got {value!r}")
    return Decimal(str(value))


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def stacking_rules(current: Mapping[str, PolicyDocument]) -> StackingRules:
    """POL-PROMO-001's numbers from the versions in force."""

    def number(key: str) -> object:
        return parameter(current, PROMO_POLICY, key)

    return StackingRules(
        max_stacked=_positive_int(number("max_stacked_promotions"), "max_stacked_promotions"),
        max_combined_discount_percent=_positive_int(
            number("max_combined_discount_percent"), "max_combined_discount_percent"
        ),
        max_bonus_multiplier=_positive_decimal(
            number("max_bonus_multiplier"), "max_bonus_multiplier"
        ),
        promo_code_uses_per_member=_positive_int(
            number("promo_code_uses_per_member"), "promo_code_uses_per_member"
        ),
    )

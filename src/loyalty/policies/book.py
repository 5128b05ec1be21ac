"""The policy folder as the running product sees it: what is in force today, and its numbers.

Parsing the corpus takes a few milliseconds; it is cached by the files' paths,
sizes and modification times, so publishing a new version (a new file, or an
edited one) applies on the next read without a restart.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

from loyalty.domain.approvals import ApprovalRules
from loyalty.domain.program import ProgramParameters
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
TIER_POLICY = "POL-TIER-001"
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

    def hold_expiry_minutes(self, *, today: dt.date | None = None) -> int:
        """POL-REDEMPTION-001: minutes after which an uncaptured hold is released.

        Raises:
            ValidationError: the policy or its positive ``hold_expiry_minutes`` is missing.
        """
        minutes = parameter(self.in_force(today=today), REDEMPTION_POLICY, "hold_expiry_minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            raise ValidationError(f"{REDEMPTION_POLICY} needs a positive hold_expiry_minutes")
        return minutes

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


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()

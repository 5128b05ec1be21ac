"""Who may approve what: the separation of duties, stated once (POL-APPROVAL-001, POL-FRAUD-001).

A decision that needs a person cannot be taken by the system; nobody approves
their own request; an assisted case is approved only by a role the approval
policy names, and above its ``second_approver_threshold_points`` by two
different people. A fraud review is never decided by whoever started the
redemption. The workflows' update validators, the decision log and the API
all ask these functions, so the rule cannot differ between them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

SYSTEM_APPROVER = "system"  # the guardrails' own decisions; never a person's id
APPROVAL_POLICY = "POL-APPROVAL-001"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalRules:
    """What POL-APPROVAL-001 says about approvers, read from the policy in force.

    Attributes:
        approver_roles: The roles that may approve an assisted case.
        second_approver_threshold_points: Above this many points a case needs
            two approvals by different people.
        approval_timeout_hours: How long a case may wait for a decision; past
            it a case that still waits is overdue (an alert, not a decision).
            None where the rules came from a run proposed before it was read.
    """

    approver_roles: frozenset[str]
    second_approver_threshold_points: int
    approval_timeout_hours: float | None = None

    def approvals_needed(self, points: int | None) -> int:
        """How many different people must approve a case of ``points``."""
        above = points is not None and points > self.second_approver_threshold_points
        return 2 if above else 1


def approval_refusal(
    *,
    approver: str,
    requester: str,
    role: str | None = None,
    rules: ApprovalRules | None = None,
    earlier: Collection[str] = (),
    rejecting: bool = False,
) -> str | None:
    """Why ``approver`` may not approve what ``requester`` asked for; None when they may.

    Args:
        role: The approver's role; checked against ``rules`` when both are given.
        rules: The approval policy in force (None: only the person checks apply,
            as for cases opened before the policy named roles).
        earlier: Who already approved this case; a second approval needs someone else.
        rejecting: A rejection needs only a person in an approver role (a requester
            may withdraw their own case).
    """
    if not approver.strip():
        return "a decision needs an approver"
    if approver == SYSTEM_APPROVER:
        return "this decision needs a person's approval"
    if rules is not None and role not in rules.approver_roles:
        names = ", ".join(sorted(rules.approver_roles))
        return f"role {role or 'unknown'} may not decide: {APPROVAL_POLICY} names {names}"
    if rejecting:
        return None
    if approver == requester:
        return f"the requester may not approve their own request ({APPROVAL_POLICY})"
    if approver in earlier:
        return f"a second approval must come from another person ({APPROVAL_POLICY})"
    return None


def review_refusal(*, reviewer: str, requester: str) -> str | None:
    """Why ``reviewer`` may not decide the fraud review of a redemption ``requester`` started."""
    if not reviewer.strip() or reviewer == SYSTEM_APPROVER:
        return "a fraud review is decided by a named person"
    if reviewer == requester:
        return "whoever started a redemption may not decide its fraud review (POL-FRAUD-001)"
    return None

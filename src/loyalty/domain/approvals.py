"""Who may approve what: the separation of duties, stated once (POL-APPROVAL-001).

A decision that needs a person cannot be taken by the system, and nobody
approves their own request. The assisted-case workflow refuses such an
update before it reaches history, and the decision log refuses to record it.
"""

from __future__ import annotations

SYSTEM_APPROVER = "system"  # the guardrails' own decisions; never a person's id


def approval_refusal(*, approver: str, requester: str) -> str | None:
    """Why ``approver`` may not approve what ``requester`` asked for; None when they may."""
    if not approver.strip():
        return "a decision needs an approver"
    if approver == SYSTEM_APPROVER:
        return "this decision needs a person's approval"
    if approver == requester:
        return "the requester may not approve their own request (POL-APPROVAL-001)"
    return None

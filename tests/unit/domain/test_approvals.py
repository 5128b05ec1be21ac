"""Separation of duties: the system never approves what needs a person; nobody their own."""

from __future__ import annotations

import pytest

from loyalty.domain.approvals import SYSTEM_APPROVER, approval_refusal


def test_another_person_may_approve() -> None:
    assert approval_refusal(approver="lead-2", requester="agent-1") is None


@pytest.mark.parametrize(
    ("approver", "words"),
    [("agent-1", "own request"), (SYSTEM_APPROVER, "a person's"), ("  ", "needs an approver")],
)
def test_refused_approvers_are_told_why(approver: str, words: str) -> None:
    refusal = approval_refusal(approver=approver, requester="agent-1")
    assert refusal is not None and words in refusal

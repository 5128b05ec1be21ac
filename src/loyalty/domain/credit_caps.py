"""The discretionary-credit limits that count what was already granted, stated once.

A member may receive so many goodwill credits in 30 days and retention offers
in 90 (POL-GOODWILL-001, POL-RETENTION-001); the program may grant so many
points of each a day and a month (POL-BUDGET-001). The guardrails apply these
when a proposal is checked (on a snapshot: over the day's budget a person
decides), and the ledger applies them again when the credit is posted, under
the member's account lock and the month's budget lock, where a breach refuses
the credit: a cap checked only at proposal time would let concurrent cases, or
one approved days later, pass it.

At posting, the member's cap and the monthly budget bind every credit. The
daily budget binds automatic credits only: POL-BUDGET-001 lets a supervisor
approve a credit over the day's cap (it then counts in the day it posts).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from loyalty.domain.reasons import Reason


class CreditPurpose(StrEnum):
    GOODWILL = "goodwill"
    RETENTION = "retention"


# The rolling window of each purpose's per-member cap, in days.
WINDOW_DAYS = {CreditPurpose.GOODWILL: 30, CreditPurpose.RETENTION: 90}
_KIND = {
    CreditPurpose.GOODWILL: "goodwill credit(s)",
    CreditPurpose.RETENTION: "retention offer(s)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditLimits:
    """One purpose's numbers: per member in its window, and the program's day and month."""

    purpose: CreditPurpose
    per_member: int
    daily_budget: int
    monthly_budget: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Granted:
    """What was granted already: to this member in the window, program-wide today and this month."""

    member_in_window: int
    today: int
    this_month: int


def frequency_breach(purpose: CreditPurpose, used: int, limit: int) -> str | None:
    """Why one more credit would pass the member's cap; None when it fits."""
    if used + 1 <= limit:
        return None
    return (
        f"Member already received {used} {_KIND[purpose]} in {WINDOW_DAYS[purpose]} days "
        f"(limit {limit})."
    )


def daily_budget_breach(purpose: CreditPurpose, used: int, budget: int, points: int) -> str | None:
    """Why ``points`` more would pass the day's budget; None when they fit."""
    if used + points <= budget:
        return None
    return (
        f"{used} of {budget} daily {purpose.value} points already granted; "
        f"{points} more would exceed the budget."
    )


def monthly_budget_breach(
    purpose: CreditPurpose, used: int, budget: int, points: int
) -> str | None:
    """Why ``points`` more would pass the month's budget; None when they fit."""
    if used + points <= budget:
        return None
    return (
        f"{used} of {budget} monthly {purpose.value} points already granted; "
        f"{points} more would exceed the budget."
    )


def grant_refusals(
    points: int, granted: Granted, limits: CreditLimits, *, approved_by_person: bool
) -> tuple[Reason, ...]:
    """Every cap a credit of ``points`` would pass when posted; empty when it may post."""
    purpose = limits.purpose
    daily = (
        None
        if approved_by_person
        else daily_budget_breach(purpose, granted.today, limits.daily_budget, points)
    )
    found = (
        (
            "frequency_cap_reached",
            frequency_breach(purpose, granted.member_in_window, limits.per_member),
        ),
        ("daily_budget_exhausted", daily),
        (
            "monthly_budget_exhausted",
            monthly_budget_breach(purpose, granted.this_month, limits.monthly_budget, points),
        ),
    )
    return tuple(Reason(code=code, message=message) for code, message in found if message)

"""Which caps a discretionary credit would pass when it posts (POL-GOODWILL-001, POL-BUDGET-001)."""

from __future__ import annotations

from loyalty.domain.credit_caps import CreditLimits, CreditPurpose, Granted, grant_refusals

LIMITS = CreditLimits(
    purpose=CreditPurpose.GOODWILL, per_member=2, daily_budget=1_000, monthly_budget=5_000
)


def codes(points: int, granted: Granted, *, by_person: bool = False) -> list[str]:
    refusals = grant_refusals(points, granted, LIMITS, approved_by_person=by_person)
    return [reason.code for reason in refusals]


def test_a_credit_that_fits_every_cap_may_post() -> None:
    assert codes(500, Granted(member_in_window=1, today=500, this_month=4_500)) == []


def test_every_cap_passed_is_named() -> None:
    granted = Granted(member_in_window=2, today=900, this_month=4_900)
    assert codes(200, granted) == [
        "frequency_cap_reached",
        "daily_budget_exhausted",
        "monthly_budget_exhausted",
    ]


def test_a_person_may_approve_past_the_days_budget_only() -> None:
    granted = Granted(member_in_window=0, today=1_000, this_month=4_000)
    assert codes(500, granted, by_person=True) == []
    assert codes(1_500, granted, by_person=True) == ["monthly_budget_exhausted"]


def test_the_reasons_say_the_numbers() -> None:
    (reason,) = grant_refusals(
        1, Granted(member_in_window=2, today=0, this_month=0), LIMITS, approved_by_person=False
    )
    assert reason.message == "Member already received 2 goodwill credit(s) in 30 days (limit 2)."

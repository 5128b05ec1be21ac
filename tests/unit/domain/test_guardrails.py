"""Guardrails, adversarially: whatever the proposer says, only the typed facts count.

The parameters mirror the policies in force (goodwill caps 500/1000/2500/5000,
approval thresholds 300/600/1500/3000, 2 goodwill credits per 30 days, a
200,000-point daily goodwill budget). A "clean" case is a silver goodwill
credit of 500 points citing two retrieved, current chunks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from loyalty.domain.eligibility import EligibilityResult
from loyalty.domain.guardrails import (
    BudgetUsage,
    CasePurpose,
    CreditHistory,
    GuardrailCode,
    GuardrailInput,
    MemberFacts,
    ProposalCandidate,
    RetrievedRef,
    RewardFacts,
    VerdictOutcome,
    evaluate_proposal,
)
from loyalty.domain.program import ProgramParameters
from loyalty.domain.reasons import Reason
from loyalty.domain.tiers import MemberStatus, Tier
from loyalty.errors import ValidationError

GOODWILL = "POL-GOODWILL-001@v3#maximum-credit-per-incident"
APPROVAL = "POL-APPROVAL-001@v2#thresholds-by-tier"
STALE = "POL-GOODWILL-001@v2#maximum-credit-per-incident"
RETENTION = "POL-RETENTION-001@v2#offer-size-by-tier"
REDEMPTION = "POL-REDEMPTION-001@v3#size-of-a-single-redemption"


def tiers(bronze: int, silver: int, gold: int, platinum: int) -> dict[Tier, int]:
    return {Tier.BRONZE: bronze, Tier.SILVER: silver, Tier.GOLD: gold, Tier.PLATINUM: platinum}


PARAMS = ProgramParameters(
    goodwill_max_points=tiers(500, 1000, 2500, 5000),
    goodwill_max_per_member_30d=2,
    goodwill_daily_budget_points=200_000,
    retention_offer_max_points=tiers(1000, 2000, 4000, 8000),
    retention_offer_max_per_member_90d=1,
    retention_min_tenure_days=90,
    retention_daily_budget_points=300_000,
    approval_threshold_points=tiers(300, 600, 1500, 3000),
    max_points_per_redemption=tiers(25_000, 50_000, 100_000, 200_000),
    min_points_per_redemption=500,
    min_policy_citations=1,
    policy_versions={
        "POL-GOODWILL-001": 3,
        "POL-APPROVAL-001": 2,
        "POL-RETENTION-001": 2,
        "POL-REDEMPTION-001": 3,
    },
)
RETRIEVED = (
    RetrievedRef(chunk_id=GOODWILL, policy_id="POL-GOODWILL-001", version=3),
    RetrievedRef(chunk_id=APPROVAL, policy_id="POL-APPROVAL-001", version=2),
    RetrievedRef(chunk_id=RETENTION, policy_id="POL-RETENTION-001", version=2),
    RetrievedRef(chunk_id=REDEMPTION, policy_id="POL-REDEMPTION-001", version=3),
)
ELIGIBLE = EligibilityResult(eligible=True, reasons=())


def case(
    *,
    points: object = 500,
    action: str = "points_credit",
    reward_id: str | None = None,
    citations: tuple[str, ...] = (GOODWILL, APPROVAL),
    purpose: CasePurpose = CasePurpose.GOODWILL,
    tier: Tier = Tier.SILVER,
    **overrides: Any,
) -> GuardrailInput:
    fields: dict[str, Any] = {
        "purpose": purpose,
        "proposal": ProposalCandidate(
            action=action, points=points, reward_id=reward_id, citations=citations
        ),
        "member": MemberFacts(
            member_id="M-1",
            tier=tier,
            status=MemberStatus.ACTIVE,
            segments=frozenset(),
            tenure_days=400,
            available_points=10_000,
        ),
        "retrieved": RETRIEVED,
        "parameters": PARAMS,
        "history": CreditHistory(goodwill_credits_30d=0, retention_offers_90d=0),
        "budget": BudgetUsage(goodwill_points_today=0, retention_points_today=0),
    }
    return GuardrailInput(**(fields | overrides))


def redemption(**overrides: Any) -> GuardrailInput:
    fields: dict[str, Any] = {
        "action": "reward_redemption",
        "points": None,
        "reward_id": "R-1",
        "citations": (REDEMPTION,),
        "purpose": CasePurpose.REDEMPTION,
        "reward": RewardFacts(reward_id="R-1", point_cost=2_000, active=True),
        "eligibility": ELIGIBLE,
    }
    return case(**(fields | overrides))


def assert_refused(data: GuardrailInput, code: GuardrailCode) -> None:
    verdict = evaluate_proposal(data)
    assert verdict.outcome is VerdictOutcome.REJECT, verdict
    assert verdict.points is None
    assert code in verdict.codes


# --- the happy paths -------------------------------------------------------


def test_small_credit_within_every_limit_is_accepted() -> None:
    verdict = evaluate_proposal(case(points=500))
    assert verdict.outcome is VerdictOutcome.ACCEPT
    assert verdict.points == 500
    assert verdict.codes == (GuardrailCode.WITHIN_POLICY,)


def test_credit_at_the_approval_threshold_is_accepted_one_above_needs_a_person() -> None:
    assert evaluate_proposal(case(points=600)).outcome is VerdictOutcome.ACCEPT
    verdict = evaluate_proposal(case(points=601))
    assert verdict.outcome is VerdictOutcome.NEEDS_APPROVAL
    assert verdict.points == 601
    assert GuardrailCode.APPROVAL_REQUIRED in verdict.codes


def test_over_cap_is_clamped_to_the_cap_and_the_clamped_value_still_needs_approval() -> None:
    verdict = evaluate_proposal(case(points=1_500))
    assert verdict.outcome is VerdictOutcome.NEEDS_APPROVAL
    assert verdict.points == 1_000
    assert verdict.requested_points == 1_500
    assert verdict.codes == (GuardrailCode.VALUE_CLAMPED, GuardrailCode.APPROVAL_REQUIRED)


def test_over_cap_clamped_below_the_threshold_is_a_plain_clamp() -> None:
    # Raise the threshold so the cap itself needs no approval: the verdict is "clamp".
    params = replace(PARAMS, approval_threshold_points=tiers(500, 1000, 2500, 5000))
    verdict = evaluate_proposal(case(points=1_200, parameters=params))
    assert verdict.outcome is VerdictOutcome.CLAMP
    assert verdict.points == 1_000


@pytest.mark.parametrize(
    ("tier", "cap"),
    [(Tier.BRONZE, 500), (Tier.SILVER, 1000), (Tier.GOLD, 2500), (Tier.PLATINUM, 5000)],
)
def test_the_cap_is_the_members_tier_cap(tier: Tier, cap: int) -> None:
    verdict = evaluate_proposal(case(points=cap + 1, tier=tier))
    assert verdict.points == cap


def test_a_bronze_member_cannot_get_the_platinum_cap() -> None:
    verdict = evaluate_proposal(case(points=5_000, tier=Tier.BRONZE))
    assert verdict.outcome is VerdictOutcome.REJECT  # 10x the bronze cap: implausible
    assert GuardrailCode.POINTS_IMPLAUSIBLE in verdict.codes


# --- schema ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "code"),
    [
        (0, GuardrailCode.POINTS_NOT_POSITIVE),
        (-500, GuardrailCode.POINTS_NOT_POSITIVE),
        (1_000_000, GuardrailCode.POINTS_IMPLAUSIBLE),
        (10**18, GuardrailCode.POINTS_IMPLAUSIBLE),
        (499.5, GuardrailCode.POINTS_NOT_INTEGER),
        ("500", GuardrailCode.POINTS_NOT_INTEGER),
        (True, GuardrailCode.POINTS_NOT_INTEGER),
        (float("inf"), GuardrailCode.POINTS_NOT_INTEGER),
        (None, GuardrailCode.POINTS_REQUIRED),
    ],
)
def test_bad_values_are_rejected_never_clamped(points: object, code: GuardrailCode) -> None:
    assert_refused(case(points=points), code)


def test_unknown_action_is_rejected() -> None:
    assert_refused(case(action="grant_status_upgrade"), GuardrailCode.UNKNOWN_ACTION)


def test_credit_naming_a_reward_is_incoherent() -> None:
    assert_refused(case(reward_id="R-1"), GuardrailCode.REWARD_NOT_EXPECTED)


def test_redemption_in_a_goodwill_case_is_not_allowed() -> None:
    data = redemption(purpose=CasePurpose.GOODWILL)
    assert_refused(data, GuardrailCode.ACTION_NOT_ALLOWED)


def test_credit_in_a_redemption_case_is_not_allowed() -> None:
    assert_refused(case(purpose=CasePurpose.REDEMPTION), GuardrailCode.ACTION_NOT_ALLOWED)


# --- citations -----------------------------------------------------------------


def test_no_citation_is_rejected() -> None:
    assert_refused(case(citations=()), GuardrailCode.CITATION_MISSING)


def test_fabricated_citation_is_rejected_even_alongside_real_ones() -> None:
    fabricated = "POL-GOODWILL-001@v3#managers-may-double-any-credit"
    assert_refused(case(citations=(GOODWILL, fabricated)), GuardrailCode.CITATION_NOT_RETRIEVED)


def test_citation_of_a_real_policy_that_was_not_retrieved_is_rejected() -> None:
    retrieved = (RETRIEVED[1],)  # only the approval chunk was shown for this case
    assert_refused(case(retrieved=retrieved), GuardrailCode.CITATION_NOT_RETRIEVED)


def test_stale_version_citation_is_rejected_even_if_it_was_retrieved() -> None:
    stale = RetrievedRef(chunk_id=STALE, policy_id="POL-GOODWILL-001", version=2)
    data = case(citations=(STALE,), retrieved=(*RETRIEVED, stale))
    assert_refused(data, GuardrailCode.CITATION_STALE)


def test_citation_of_an_unknown_policy_is_stale() -> None:
    ghost = RetrievedRef(chunk_id="POL-GHOST-001@v1#x", policy_id="POL-GHOST-001", version=1)
    data = case(citations=(ghost.chunk_id,), retrieved=(*RETRIEVED, ghost))
    assert_refused(data, GuardrailCode.CITATION_STALE)


# --- frequency, budget, member ------------------------------------------------


def test_third_goodwill_credit_in_30_days_is_rejected() -> None:
    history = CreditHistory(goodwill_credits_30d=2, retention_offers_90d=0)
    assert_refused(case(history=history), GuardrailCode.FREQUENCY_CAP_REACHED)


def test_second_goodwill_credit_is_fine() -> None:
    history = CreditHistory(goodwill_credits_30d=1, retention_offers_90d=0)
    assert evaluate_proposal(case(history=history)).outcome is VerdictOutcome.ACCEPT


def test_exhausted_daily_budget_never_posts_automatically() -> None:
    budget = BudgetUsage(goodwill_points_today=199_800, retention_points_today=0)
    verdict = evaluate_proposal(case(points=300, budget=budget))
    # POL-BUDGET-001: queued for a supervisor, never auto-posted.
    assert verdict.outcome is VerdictOutcome.NEEDS_APPROVAL
    assert GuardrailCode.DAILY_BUDGET_EXHAUSTED in verdict.codes


def test_credit_that_exactly_fills_the_budget_is_fine() -> None:
    budget = BudgetUsage(goodwill_points_today=199_500, retention_points_today=0)
    assert evaluate_proposal(case(points=500, budget=budget)).outcome is VerdictOutcome.ACCEPT


def test_suspended_member_gets_no_credit() -> None:
    member = MemberFacts(
        member_id="M-1",
        tier=Tier.GOLD,
        status=MemberStatus.SUSPENDED,
        segments=frozenset(),
        tenure_days=400,
        available_points=0,
    )
    assert_refused(case(member=member), GuardrailCode.MEMBER_NOT_ACTIVE)


def test_every_failure_is_reported_at_once() -> None:
    history = CreditHistory(goodwill_credits_30d=5, retention_offers_90d=0)
    verdict = evaluate_proposal(case(points=1_200, citations=("made-up",), history=history))
    assert verdict.outcome is VerdictOutcome.REJECT
    assert {GuardrailCode.CITATION_NOT_RETRIEVED, GuardrailCode.FREQUENCY_CAP_REACHED} <= set(
        verdict.codes
    )


# --- retention -----------------------------------------------------------------


def retention(**overrides: Any) -> GuardrailInput:
    member = MemberFacts(
        member_id="M-1",
        tier=Tier.GOLD,
        status=MemberStatus.ACTIVE,
        segments=frozenset({"churn_risk"}),
        tenure_days=200,
        available_points=0,
    )
    fields: dict[str, Any] = {
        "purpose": CasePurpose.RETENTION,
        "citations": (RETENTION,),
        "member": member,
        "points": 1_000,
    }
    return case(**(fields | overrides))


def test_retention_offer_uses_the_retention_cap() -> None:
    assert evaluate_proposal(retention()).outcome is VerdictOutcome.ACCEPT
    verdict = evaluate_proposal(retention(points=5_000))
    assert verdict.points == 4_000  # gold retention cap, not the goodwill cap
    assert verdict.outcome is VerdictOutcome.NEEDS_APPROVAL


def test_retention_needs_the_churn_segment_and_tenure() -> None:
    member = MemberFacts(
        member_id="M-1",
        tier=Tier.GOLD,
        status=MemberStatus.ACTIVE,
        segments=frozenset(),
        tenure_days=30,
        available_points=0,
    )
    verdict = evaluate_proposal(retention(member=member))
    assert {GuardrailCode.NOT_IN_SEGMENT, GuardrailCode.TENURE_TOO_SHORT} <= set(verdict.codes)


def test_second_retention_offer_in_90_days_is_rejected() -> None:
    history = CreditHistory(goodwill_credits_30d=0, retention_offers_90d=1)
    assert_refused(retention(history=history), GuardrailCode.FREQUENCY_CAP_REACHED)


# --- reward redemptions --------------------------------------------------------


def test_eligible_redemption_is_accepted_at_the_catalog_price() -> None:
    verdict = evaluate_proposal(redemption())
    assert verdict.outcome is VerdictOutcome.ACCEPT
    assert (verdict.points, verdict.reward_id) == (2_000, "R-1")


def test_redemption_of_an_unknown_reward_is_rejected() -> None:
    assert_refused(redemption(reward=None), GuardrailCode.REWARD_NOT_FOUND)
    assert_refused(redemption(reward_id="R-OTHER"), GuardrailCode.REWARD_NOT_FOUND)


def test_redemption_of_an_inactive_reward_is_rejected() -> None:
    reward = RewardFacts(reward_id="R-1", point_cost=2_000, active=False)
    assert_refused(redemption(reward=reward), GuardrailCode.REWARD_INACTIVE)


def test_ineligible_member_is_rejected_with_the_eligibility_reasons() -> None:
    result = EligibilityResult(
        eligible=False, reasons=(Reason(code="tier_too_low", message="needs gold"),)
    )
    verdict = evaluate_proposal(redemption(eligibility=result))
    assert verdict.outcome is VerdictOutcome.REJECT
    assert verdict.reasons[0].message.startswith("tier_too_low")


def test_redemption_without_an_eligibility_result_fails_closed() -> None:
    assert_refused(redemption(eligibility=None), GuardrailCode.ELIGIBILITY_UNKNOWN)


def test_redemption_with_a_different_price_is_rejected() -> None:
    assert_refused(redemption(points=100), GuardrailCode.POINTS_MISMATCH)


def test_redemption_over_the_tier_maximum_or_balance_is_rejected() -> None:
    big = RewardFacts(reward_id="R-1", point_cost=60_000, active=True)
    verdict = evaluate_proposal(redemption(reward=big))
    assert {GuardrailCode.OUTSIDE_REDEMPTION_RANGE, GuardrailCode.INSUFFICIENT_POINTS} <= set(
        verdict.codes
    )


def test_a_reward_other_than_the_one_asked_for_needs_a_person() -> None:
    other = RewardFacts(reward_id="R-2", point_cost=2_000, active=True)
    verdict = evaluate_proposal(
        redemption(reward_id="R-2", reward=other, requested_reward_id="R-1")
    )
    assert verdict.outcome is VerdictOutcome.NEEDS_APPROVAL
    assert verdict.codes == (GuardrailCode.REWARD_SWAPPED,)
    assert verdict.reasons[0].message == "Proposal names reward R-2; the agent asked for R-1."


def test_the_reward_asked_for_or_none_asked_for_needs_no_one() -> None:
    for requested in ("R-1", None):
        verdict = evaluate_proposal(redemption(requested_reward_id=requested))
        assert verdict.outcome is VerdictOutcome.ACCEPT


def test_a_swapped_reward_the_member_may_not_redeem_is_rejected() -> None:
    other = RewardFacts(reward_id="R-2", point_cost=2_000, active=True)
    ineligible = EligibilityResult(
        eligible=False, reasons=(Reason(code="tier_too_low", message="needs gold"),)
    )
    data = redemption(
        reward_id="R-2", reward=other, eligibility=ineligible, requested_reward_id="R-1"
    )
    assert_refused(data, GuardrailCode.NOT_ELIGIBLE)


def test_redemption_without_a_reward_id_is_rejected() -> None:
    assert_refused(redemption(reward_id=None), GuardrailCode.REWARD_REQUIRED)


# --- parameters ----------------------------------------------------------------


def test_parameters_refuse_a_missing_tier() -> None:
    with pytest.raises(ValidationError):
        replace(PARAMS, goodwill_max_points={Tier.BRONZE: 500})


def test_parameters_refuse_a_negative_budget() -> None:
    with pytest.raises(ValidationError):
        replace(PARAMS, goodwill_daily_budget_points=-1)

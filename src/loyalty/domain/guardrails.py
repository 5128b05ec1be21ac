"""Deterministic guardrails every reward proposal passes, whoever wrote it.

An AI model or the rule-based proposer drafts a proposal; this module decides
what may happen to it. It is pure: it reads typed facts (the member's tier and
status, credit history, today's budget use, the catalog entry, an eligibility
result) and the numbers in :class:`~loyalty.domain.program.ProgramParameters`,
never free text, so nothing a member writes in a note and nothing a retrieved
document says can move a limit.

Checks, in order (every failure is reported, with a stable code):

* schema: a known action; a credit carries positive integer points and no
  reward; a redemption names a reward (points, if given, equal its price);
* citations: at least ``min_policy_citations``; each one among the chunks
  actually retrieved for this decision, and of the policy version in force;
* points credits: the action suits the case; the member is active; the value
  is within the tier cap (over the cap but under ``clamp_limit_percent`` of
  it is clamped to the cap, beyond that it is rejected as implausible); the
  member's frequency cap; retention needs the churn-risk segment and tenure;
  the daily program budget (over it waits for a person, as the budget policy
  says); the human-approval threshold for the tier, applied to the clamped
  value;
* reward redemptions: the reward exists and is active, the eligibility result
  is positive, the price is within the tier's single-redemption range and the
  member's balance. Approval thresholds apply to discretionary credits only
  (POL-APPROVAL-001), a redemption spends the member's own points.

Verdict: ``reject`` if any check failed, else ``needs_approval`` if any check
asks for a person, else ``clamp`` if the value was lowered, else ``accept``.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.domain.credit_caps import CreditPurpose, daily_budget_breach, frequency_breach
from loyalty.domain.eligibility import EligibilityResult
from loyalty.domain.guardrail_types import (
    CHURN_RISK_SEGMENT,
    BudgetUsage,
    CasePurpose,
    CreditHistory,
    GuardrailCode,
    GuardrailInput,
    GuardrailVerdict,
    MemberFacts,
    ProposalAction,
    ProposalCandidate,
    RetrievedRef,
    RewardFacts,
    VerdictOutcome,
)
from loyalty.domain.reasons import Reason
from loyalty.domain.tiers import MemberStatus

__all__ = [
    "BudgetUsage",
    "CasePurpose",
    "CreditHistory",
    "GuardrailCode",
    "GuardrailInput",
    "GuardrailVerdict",
    "MemberFacts",
    "ProposalAction",
    "ProposalCandidate",
    "RetrievedRef",
    "RewardFacts",
    "VerdictOutcome",
    "evaluate_proposal",
]


@dataclass(slots=True)
class _Findings:
    rejections: list[Reason]
    approvals: list[Reason]
    notes: list[Reason]

    def reject(self, code: GuardrailCode, message: str) -> None:
        self.rejections.append(Reason(code=code, message=message))

    def ask_approval(self, code: GuardrailCode, message: str) -> None:
        self.approvals.append(Reason(code=code, message=message))

    def note(self, code: GuardrailCode, message: str) -> None:
        self.notes.append(Reason(code=code, message=message))


def evaluate_proposal(data: GuardrailInput) -> GuardrailVerdict:
    """Apply every guardrail to one proposal.

    Args:
        data: The proposal and the typed facts of the case.

    Returns:
        The verdict with every reason; never raises for a bad proposal.
    """
    findings = _Findings([], [], [])
    points = _check_schema(data, findings)
    _check_citations(data, findings)
    value: int | None = None
    action = data.proposal.action
    if action == ProposalAction.POINTS_CREDIT and points is not None:
        value = _check_credit(data, points, findings)
    elif action == ProposalAction.REWARD_REDEMPTION and data.proposal.reward_id:
        value = _check_redemption(data, points, findings)
    return _verdict(data, points, value, findings)


def _verdict(
    data: GuardrailInput, requested: int | None, value: int | None, findings: _Findings
) -> GuardrailVerdict:
    reward_id = data.proposal.reward_id
    if findings.rejections or value is None:
        return GuardrailVerdict(
            outcome=VerdictOutcome.REJECT,
            points=None,
            requested_points=requested,
            reward_id=reward_id,
            reasons=tuple(findings.rejections),
        )
    if findings.approvals:
        outcome = VerdictOutcome.NEEDS_APPROVAL
        reasons = (*findings.notes, *findings.approvals)
    elif findings.notes:
        outcome, reasons = VerdictOutcome.CLAMP, tuple(findings.notes)
    else:
        outcome = VerdictOutcome.ACCEPT
        reasons = (Reason(code=GuardrailCode.WITHIN_POLICY, message="Every guardrail passed."),)
    return GuardrailVerdict(
        outcome=outcome,
        points=value,
        requested_points=requested,
        reward_id=reward_id,
        reasons=reasons,
    )


def _check_schema(data: GuardrailInput, findings: _Findings) -> int | None:
    """Check the proposal's shape; return its points when they are a positive int."""
    proposal = data.proposal
    try:
        action = ProposalAction(proposal.action)
    except ValueError:
        findings.reject(GuardrailCode.UNKNOWN_ACTION, f"Unknown action {proposal.action!r}.")
        return None
    expected = (
        ProposalAction.REWARD_REDEMPTION
        if data.purpose is CasePurpose.REDEMPTION
        else ProposalAction.POINTS_CREDIT
    )
    if action is not expected:
        findings.reject(
            GuardrailCode.ACTION_NOT_ALLOWED,
            f"A {data.purpose.value} case allows {expected.value}, not {action.value}.",
        )
    if action is ProposalAction.POINTS_CREDIT and proposal.reward_id is not None:
        findings.reject(GuardrailCode.REWARD_NOT_EXPECTED, "A points credit names no reward.")
    if action is ProposalAction.REWARD_REDEMPTION and not proposal.reward_id:
        findings.reject(GuardrailCode.REWARD_REQUIRED, "A redemption must name a reward.")
    if proposal.points is None:
        if action is ProposalAction.POINTS_CREDIT:
            findings.reject(GuardrailCode.POINTS_REQUIRED, "A points credit must state points.")
        return None
    return _check_points_value(proposal.points, findings)


def _check_points_value(points: object, findings: _Findings) -> int | None:
    if isinstance(points, bool) or not isinstance(points, int):
        findings.reject(GuardrailCode.POINTS_NOT_INTEGER, f"Points must be an integer: {points!r}.")
        return None
    if points <= 0:
        findings.reject(GuardrailCode.POINTS_NOT_POSITIVE, f"Points must be positive: {points}.")
        return None
    return points


def _check_citations(data: GuardrailInput, findings: _Findings) -> None:
    citations = data.proposal.citations
    minimum = data.parameters.min_policy_citations
    if len(set(citations)) < minimum:
        findings.reject(
            GuardrailCode.CITATION_MISSING,
            f"At least {minimum} policy citation(s) required, got {len(set(citations))}.",
        )
    retrieved = {ref.chunk_id: ref for ref in data.retrieved}
    current = data.parameters.policy_versions
    for chunk_id in dict.fromkeys(citations):
        ref = retrieved.get(chunk_id)
        if ref is None:
            findings.reject(
                GuardrailCode.CITATION_NOT_RETRIEVED,
                f"Citation {chunk_id!r} was not retrieved for this decision.",
            )
        elif current.get(ref.policy_id) != ref.version:
            findings.reject(
                GuardrailCode.CITATION_STALE,
                f"Citation {chunk_id!r} is version {ref.version} of {ref.policy_id}; "
                f"the version in force is {current.get(ref.policy_id, 'none')}.",
            )


def _check_credit(data: GuardrailInput, points: int, findings: _Findings) -> int | None:
    params, member = data.parameters, data.member
    retention = data.purpose is CasePurpose.RETENTION
    caps = params.retention_offer_max_points if retention else params.goodwill_max_points
    cap = caps[member.tier]
    value = points
    if points * 100 > cap * params.clamp_limit_percent:
        findings.reject(
            GuardrailCode.POINTS_IMPLAUSIBLE,
            f"{points} points is more than {params.clamp_limit_percent}% of the "
            f"{member.tier.value} cap of {cap}; refused, not clamped.",
        )
        return None
    if points > cap:
        value = cap
        findings.note(
            GuardrailCode.VALUE_CLAMPED,
            f"{points} points is above the {member.tier.value} cap; clamped to {cap}.",
        )
    if member.status is not MemberStatus.ACTIVE:
        findings.reject(
            GuardrailCode.MEMBER_NOT_ACTIVE,
            f"Member is {member.status.value}; discretionary credits need an active account.",
        )
    if retention:
        _check_retention(data, findings)
    else:
        _check_goodwill_frequency(data, findings)
    _check_budget(data, value, findings)
    threshold = params.approval_threshold_points[member.tier]
    if value > threshold:
        findings.ask_approval(
            GuardrailCode.APPROVAL_REQUIRED,
            f"{value} points is above the {member.tier.value} approval threshold of {threshold}.",
        )
    return value


def _check_goodwill_frequency(data: GuardrailInput, findings: _Findings) -> None:
    breach = frequency_breach(
        CreditPurpose.GOODWILL,
        data.history.goodwill_credits_30d,
        data.parameters.goodwill_max_per_member_30d,
    )
    if breach:
        findings.reject(GuardrailCode.FREQUENCY_CAP_REACHED, breach)


def _check_retention(data: GuardrailInput, findings: _Findings) -> None:
    params, member = data.parameters, data.member
    breach = frequency_breach(
        CreditPurpose.RETENTION,
        data.history.retention_offers_90d,
        params.retention_offer_max_per_member_90d,
    )
    if breach:
        findings.reject(GuardrailCode.FREQUENCY_CAP_REACHED, breach)
    if CHURN_RISK_SEGMENT not in member.segments:
        findings.reject(
            GuardrailCode.NOT_IN_SEGMENT, "Retention offers are for churn-risk members only."
        )
    if member.tenure_days < params.retention_min_tenure_days:
        findings.reject(
            GuardrailCode.TENURE_TOO_SHORT,
            f"Member for {member.tenure_days} days; retention needs "
            f"{params.retention_min_tenure_days}.",
        )


def _check_budget(data: GuardrailInput, value: int, findings: _Findings) -> None:
    params = data.parameters
    if data.purpose is CasePurpose.RETENTION:
        purpose = CreditPurpose.RETENTION
        budget, used = params.retention_daily_budget_points, data.budget.retention_points_today
    else:
        purpose = CreditPurpose.GOODWILL
        budget, used = params.goodwill_daily_budget_points, data.budget.goodwill_points_today
    breach = daily_budget_breach(purpose, used, budget, value)
    if breach:
        # POL-BUDGET-001: over the day's cap a credit is never posted automatically;
        # it waits for a supervisor (and the ledger checks the budget again at posting).
        findings.ask_approval(GuardrailCode.DAILY_BUDGET_EXHAUSTED, breach)


def _check_redemption(data: GuardrailInput, points: int | None, findings: _Findings) -> int | None:
    reward, proposal = data.reward, data.proposal
    if reward is None or reward.reward_id != proposal.reward_id:
        findings.reject(
            GuardrailCode.REWARD_NOT_FOUND, f"Reward {proposal.reward_id!r} is not in the catalog."
        )
        return None
    if points is not None and points != reward.point_cost:
        findings.reject(
            GuardrailCode.POINTS_MISMATCH,
            f"Proposal states {points} points; reward costs {reward.point_cost}.",
        )
    if not reward.active:
        findings.reject(GuardrailCode.REWARD_INACTIVE, f"Reward {reward.reward_id} is inactive.")
    requested = data.requested_reward_id
    if requested is not None and requested != reward.reward_id:
        # The model may not swap the reward the agent asked for on its own authority.
        findings.ask_approval(
            GuardrailCode.REWARD_SWAPPED,
            f"Proposal names reward {reward.reward_id}; the agent asked for {requested}.",
        )
    _check_eligibility(data.eligibility, findings)
    _check_redemption_size(data, reward.point_cost, findings)
    return reward.point_cost


def _check_eligibility(result: EligibilityResult | None, findings: _Findings) -> None:
    if result is None:
        findings.reject(GuardrailCode.ELIGIBILITY_UNKNOWN, "No eligibility result; refusing.")
        return
    for reason in result.reasons:
        findings.reject(GuardrailCode.NOT_ELIGIBLE, f"{reason.code}: {reason.message}")


def _check_redemption_size(data: GuardrailInput, cost: int, findings: _Findings) -> None:
    params, member = data.parameters, data.member
    maximum = params.max_points_per_redemption[member.tier]
    minimum = params.min_points_per_redemption
    if not minimum <= cost <= maximum:
        findings.reject(
            GuardrailCode.OUTSIDE_REDEMPTION_RANGE,
            f"{cost} points is outside the {member.tier.value} range {minimum}-{maximum}.",
        )
    if cost > member.available_points:
        findings.reject(
            GuardrailCode.INSUFFICIENT_POINTS,
            f"Reward costs {cost}; member has {member.available_points} available.",
        )

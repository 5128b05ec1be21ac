"""Glue between a proposer run and the pure guardrails.

The guardrails themselves live in :mod:`loyalty.domain.guardrails`; this
module only assembles their input from a run and the typed case facts the
worker read, and turns an unparseable answer into a logged rejection.
"""

from __future__ import annotations

from loyalty.agents.proposal import ProposalFormatError, ProposalRun
from loyalty.domain.eligibility import EligibilityResult
from loyalty.domain.guardrail_types import (
    BudgetUsage,
    CasePurpose,
    CreditHistory,
    GuardrailInput,
    GuardrailVerdict,
    MemberFacts,
    RewardFacts,
    VerdictOutcome,
)
from loyalty.domain.guardrails import evaluate_proposal
from loyalty.domain.program import ProgramParameters
from loyalty.domain.reasons import Reason

PROPOSAL_MALFORMED = "proposal_malformed"


def check_run(
    run: ProposalRun,
    *,
    purpose: CasePurpose,
    member: MemberFacts,
    parameters: ProgramParameters,
    history: CreditHistory,
    budget: BudgetUsage,
    reward: RewardFacts | None = None,
    eligibility: EligibilityResult | None = None,
    requested_reward_id: str | None = None,
) -> tuple[GuardrailInput, GuardrailVerdict]:
    """Apply the guardrails to a run; citations are checked against ``run.retrieved``.

    Returns:
        The exact guardrail input (for the decision log) and the verdict.
    """
    data = GuardrailInput(
        purpose=purpose,
        proposal=run.proposal.to_candidate(),
        member=member,
        retrieved=run.retrieved_refs(),
        parameters=parameters,
        history=history,
        budget=budget,
        reward=reward,
        eligibility=eligibility,
        requested_reward_id=requested_reward_id,
    )
    return data, evaluate_proposal(data)


def malformed_verdict(error: ProposalFormatError) -> GuardrailVerdict:
    """The verdict logged for an answer that is not a proposal at all."""
    return GuardrailVerdict(
        outcome=VerdictOutcome.REJECT,
        points=None,
        requested_points=None,
        reward_id=None,
        reasons=(Reason(code=PROPOSAL_MALFORMED, message=error.message),),
    )

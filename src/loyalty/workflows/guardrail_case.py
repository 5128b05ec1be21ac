"""Turn a logged credit proposal's facts (``GuardrailCase``) back into the guardrails' input.

The AssistedRedemption workflow re-runs the pure guardrails on a support
agent's edit inside the update validator; it can do so deterministically
because the facts travel in the workflow's history, not from a fresh read.
"""

from __future__ import annotations

from loyalty.contracts.assisted import GuardrailCase, ParametersPayload
from loyalty.domain.guardrail_types import (
    BudgetUsage,
    CasePurpose,
    CreditHistory,
    GuardrailInput,
    MemberFacts,
    ProposalCandidate,
    RetrievedRef,
)
from loyalty.domain.program import TIERED_PARAMETERS, ProgramParameters
from loyalty.domain.tiers import MemberStatus, Tier


def program_parameters(payload: ParametersPayload) -> ProgramParameters:
    values = payload.model_dump()
    for name in TIERED_PARAMETERS:
        values[name] = {Tier(tier): points for tier, points in values[name].items()}
    return ProgramParameters(**values)


def guardrail_input(case: GuardrailCase, proposal: ProposalCandidate) -> GuardrailInput:
    """The guardrail input for ``proposal`` against the facts of ``case``."""
    member = case.member
    return GuardrailInput(
        purpose=CasePurpose(case.purpose),
        proposal=proposal,
        member=MemberFacts(
            member_id=member.member_id,
            tier=Tier(member.tier),
            status=MemberStatus(member.status),
            segments=frozenset(member.segments),
            tenure_days=member.tenure_days,
            available_points=member.available_points,
        ),
        retrieved=tuple(
            RetrievedRef(chunk_id=r.chunk_id, policy_id=r.policy_id, version=r.version)
            for r in case.retrieved
        ),
        parameters=program_parameters(case.parameters),
        history=CreditHistory(
            goodwill_credits_30d=case.goodwill_credits_30d,
            retention_offers_90d=case.retention_offers_90d,
        ),
        budget=BudgetUsage(
            goodwill_points_today=case.goodwill_points_today,
            retention_points_today=case.retention_points_today,
        ),
    )

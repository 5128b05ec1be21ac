"""RewardProposal: draft and check one proposal, log it, execute nothing.

For ``loyalty propose`` and ``POST /v1/reward-proposals``: clients cannot call
an activity directly, and the proposer needs the worker's vector store, so
this one-step workflow runs ProposeReward and returns what it found. The
decision log gets a proposal row (decision id = workflow id) and no decision.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts import assisted as act
    from loyalty.contracts.assisted import PROPOSAL_WORKFLOW, ProposalCase, ProposalResult
    from loyalty.workflows.options import PROPOSE


@workflow.defn(name=PROPOSAL_WORKFLOW)
class RewardProposalWorkflow:
    @workflow.run
    async def run(self, case: ProposalCase) -> ProposalResult:
        case_id = workflow.info().workflow_id
        outcome = await workflow.execute_activity(
            act.PROPOSE_REWARD,
            act.ProposeReward(
                decision_id=case_id,
                member_id=case.member_id,
                purpose=case.purpose,
                reason=case.reason,
                severity=case.severity,
                reward_id=case.reward_id,
                requested_by=case.requested_by,
            ),
            result_type=act.ProposalOutcome,
            **PROPOSE.kwargs(),
        )
        return ProposalResult(
            case_id=case_id,
            proposer=outcome.proposer,
            proposal=outcome.proposal,
            verdict=outcome.verdict,
            citations=outcome.citations,
        )

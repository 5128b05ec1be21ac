"""Agent commands: ingest policies, propose, and run assisted cases, all through Temporal.

The worker owns the policy store (embedded Qdrant locks its folder), so these
commands start workflows and never open the store themselves.

    loyalty policies ingest [PATH] [--wait]
    loyalty propose MEMBER --reason TEXT [--purpose goodwill] [--json]
    loyalty assisted MEMBER --reason TEXT --agent A [--wait]
    loyalty assisted-status|assisted-approve|assisted-reject|assisted-edit ID ...
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from loyalty.cli import context
from loyalty.cli.output import emit, validated
from loyalty.cli.workflow_commands import JsonOption, ReasonOption, exits_without_teardown, run
from loyalty.contracts import assisted as a
from loyalty.contracts import ingestion as ing

T = TypeVar("T")
app = typer.Typer()
# Whoever holds Temporal access through the CLI acts as an operator (POL-APPROVAL-001 names it).
CLI_ROLE = "operator"
policies = typer.Typer(no_args_is_help=True, help="Policy corpus in the vector store.")
app.add_typer(policies, name="policies")

PurposeOption = Annotated[str, typer.Option("--purpose", help="goodwill | retention | redemption")]
SeverityOption = Annotated[str | None, typer.Option(help="minor | moderate | major")]
RewardOption = Annotated[str | None, typer.Option("--reward", help="Reward id (redemption).")]
CaseArg = Annotated[str, typer.Argument(help="Case id (assisted-<request_id>).")]
AgentOption = Annotated[str, typer.Option("--agent", help="Support agent id.")]
POLL_S = 0.3


@policies.command("ingest")
@exits_without_teardown
def ingest_command(
    path: Annotated[str | None, typer.Argument(help="File or folder inside policies/.")] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait")] = True,
    as_json: JsonOption = False,
) -> None:
    """Embed and upsert the policies in force (a no-op for what is already stored)."""
    request = ing.IngestRequest(path=path, requested_by="cli")

    async def job(client: Client) -> ing.IngestionState:
        handle = await client.start_workflow(
            ing.INGEST_WORKFLOW,
            request,
            id=ing.INGEST_WORKFLOW_ID,
            task_queue=context.settings().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            result_type=ing.IngestionState,
        )
        if not wait:
            state: ing.IngestionState = await handle.query(
                ing.QUERY_STATE, result_type=ing.IngestionState
            )
            return state
        return await _with_progress(client, handle, quiet=as_json)

    emit(run(job, ing.INGEST_WORKFLOW_ID), as_json=as_json, text=_ingestion_text)


async def _with_progress(
    client: Client, handle: WorkflowHandle[Any, ing.IngestionState], *, quiet: bool
) -> ing.IngestionState:
    """Wait for the result, drawing the activity's heartbeats as a progress bar."""
    result = asyncio.ensure_future(handle.result())
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), disable=quiet) as bar:
        task = bar.add_task("ingesting policies", total=None)
        while not result.done():
            progress = await _heartbeat(client, handle)
            if progress is not None and progress.total:
                bar.update(
                    task,
                    completed=progress.done,
                    total=progress.total,
                    description=f"ingesting {progress.policy_id:<22}",
                )
            await asyncio.wait({result}, timeout=POLL_S)
        bar.update(task, description="ingested policies")
    return result.result()


async def _heartbeat(client: Client, handle: WorkflowHandle[Any, Any]) -> ing.IngestProgress | None:
    described = await handle.describe()
    for pending in described.raw_description.pending_activities:
        payloads = pending.heartbeat_details.payloads
        if payloads:
            values = await client.data_converter.decode(payloads, [ing.IngestProgress])
            if values and isinstance(values[0], ing.IngestProgress):
                return values[0]
    return None


def _ingestion_text(state: ing.IngestionState) -> str:
    s = state.summary
    if s is None:
        return f"ingestion {state.status}" + (f": {state.error}" if state.error else "")
    skipped = f"; skipped {', '.join(s.skipped)}" if s.skipped else ""
    return (
        f"ingested {s.current} policies from {s.documents} files: {s.chunks_upserted} chunks "
        f"embedded, {s.chunks_unchanged} unchanged, {s.chunks_superseded} superseded{skipped}"
    )


@app.command("propose")
@exits_without_teardown
def propose_command(
    member_id: Annotated[str, typer.Argument()],
    reason: ReasonOption,
    purpose: PurposeOption = "goodwill",
    severity: SeverityOption = None,
    reward: RewardOption = None,
    agent: Annotated[str, typer.Option("--agent")] = "cli",
    as_json: JsonOption = False,
) -> None:
    """Draft one proposal with its citations and guardrail verdict; nothing executes."""
    case = validated(
        lambda: a.ProposalCase(
            request_id=uuid.uuid4().hex,
            member_id=member_id,
            reason=reason,
            purpose=purpose,
            severity=severity,
            reward_id=reward,
            requested_by=agent,
        )
    )

    async def job(client: Client) -> a.ProposalResult:
        result: a.ProposalResult = await client.execute_workflow(
            a.PROPOSAL_WORKFLOW,
            case,
            id=a.proposal_workflow_id(case.request_id),
            task_queue=context.settings().task_queue,
            result_type=a.ProposalResult,
        )
        return result

    emit(run(job, member_id), as_json=as_json, text=_proposal_text)


def _proposal_text(result: a.ProposalResult | a.AssistedState) -> str:
    proposal, verdict = result.proposal, result.verdict
    lines = []
    if proposal is not None:
        what = f"reward {proposal.reward_id}" if proposal.reward_id else f"{proposal.points} pts"
        lines.append(f"proposal ({proposal.proposer}): {proposal.action} {what}")
        lines.append(f"  rationale: {proposal.rationale}")
    if verdict is not None:
        lines.append(f"verdict: {verdict.outcome} ({verdict.points} pts)")
        lines += [f"  - {r.code}: {r.message}" for r in verdict.reasons]
    for c in result.citations:
        quote = c.text if len(c.text) <= 160 else c.text[:157] + "..."
        lines.append(f"  [{c.chunk_id}] {c.section}: {quote}")
    return "\n".join(lines)


def _assisted_text(state: a.AssistedState) -> str:
    head = f"{state.case_id}: {state.summary()}"
    steps = [f"  {o.at:%H:%M:%S} {o.step.value:16} {o.status:7} {o.detail}" for o in state.steps]
    reasons = ["reasons: " + "; ".join(state.reasons)] if state.reasons else []
    return "\n".join([head, _proposal_text(state), *reasons, *steps])


@app.command("assisted")
@exits_without_teardown
def assisted_command(
    member_id: Annotated[str, typer.Argument()],
    reason: ReasonOption,
    agent: AgentOption,
    purpose: PurposeOption = "goodwill",
    severity: SeverityOption = None,
    reward: RewardOption = None,
    request_id: Annotated[str | None, typer.Option(help="Idempotency key (default: new).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the case closes.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Start an assisted case: propose, check, then execute or wait for approval."""
    request = validated(
        lambda: a.AssistedRequest(
            request_id=request_id or uuid.uuid4().hex,
            member_id=member_id,
            reason=reason,
            purpose=purpose,
            severity=severity,
            reward_id=reward,
            requested_by=agent,
        )
    )
    workflow_id = a.assisted_workflow_id(request.request_id)

    async def job(client: Client) -> a.AssistedState:
        handle = await client.start_workflow(
            a.ASSISTED_WORKFLOW,
            request,
            id=workflow_id,
            task_queue=context.settings().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            result_type=a.AssistedState,
        )
        if wait:
            state: a.AssistedState = await handle.result()
            return state
        return await _settled(handle)

    emit(run(job, workflow_id), as_json=as_json, text=_assisted_text)


async def _settled(handle: WorkflowHandle[Any, Any]) -> a.AssistedState:
    """The state once the proposal is in (or after ~30 s, whatever it is then)."""
    state: a.AssistedState | None = None
    for _ in range(int(30 / POLL_S)):
        state = await handle.query(a.QUERY_STATE, result_type=a.AssistedState)
        if state.status != a.AssistedStatus.PROPOSING:
            break
        await asyncio.sleep(POLL_S)
    assert state is not None
    return state


@app.command("assisted-status")
@exits_without_teardown
def assisted_status_command(case_id: CaseArg, as_json: JsonOption = False) -> None:
    """The live state of an assisted case: proposal, citations, verdict, steps."""

    async def job(client: Client) -> a.AssistedState:
        handle = client.get_workflow_handle(case_id)
        state: a.AssistedState = await handle.query(a.QUERY_STATE, result_type=a.AssistedState)
        return state

    emit(run(job, case_id), as_json=as_json, text=_assisted_text)


def _decide(case_id: str, update: str, payload: Any, as_json: bool) -> None:
    async def job(client: Client) -> a.AssistedUpdateResult:
        handle = client.get_workflow_handle(case_id)
        result: a.AssistedUpdateResult = await handle.execute_update(
            update, payload, result_type=a.AssistedUpdateResult
        )
        return result

    emit(run(job, case_id), as_json=as_json, text=lambda r: f"{r.message}: {r.status.value}")


@app.command("assisted-approve")
@exits_without_teardown
def assisted_approve_command(
    case_id: CaseArg, agent: AgentOption, reason: ReasonOption, as_json: JsonOption = False
) -> None:
    """Approve a case waiting for approval (not by its requester)."""
    decision = validated(lambda: a.ReviewDecision(agent_id=agent, reason=reason, role=CLI_ROLE))
    _decide(case_id, a.UPDATE_APPROVE, decision, as_json)


@app.command("assisted-reject")
@exits_without_teardown
def assisted_reject_command(
    case_id: CaseArg, agent: AgentOption, reason: ReasonOption, as_json: JsonOption = False
) -> None:
    """Reject a case waiting for approval; nothing is executed."""
    decision = validated(lambda: a.ReviewDecision(agent_id=agent, reason=reason, role=CLI_ROLE))
    _decide(case_id, a.UPDATE_REJECT, decision, as_json)


@app.command("assisted-edit")
@exits_without_teardown
def assisted_edit_command(
    case_id: CaseArg,
    agent: AgentOption,
    reason: ReasonOption,
    points: Annotated[int, typer.Option(min=1)],
    as_json: JsonOption = False,
) -> None:
    """Approve a points credit with another value; refused outside the guardrail limits."""
    decision = validated(
        lambda: a.EditDecision(agent_id=agent, reason=reason, points=points, role=CLI_ROLE)
    )
    _decide(case_id, a.UPDATE_EDIT, decision, as_json)

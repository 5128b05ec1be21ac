"""Refund commands: refund a completed redemption, and let operations approve or reject one.

A refund outside POL-REFUND-001's window or above its automatic maximum waits
for loyalty operations; ``loyalty refund`` then says so and returns at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Annotated

import typer
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from loyalty.cli import context
from loyalty.cli.output import emit, validated
from loyalty.cli.workflow_commands import (
    JsonOption,
    ReasonOption,
    RedemptionArg,
    exits_without_teardown,
    operator_action,
    run,
)
from loyalty.contracts import redemption as c

app = typer.Typer()
RefundArg = Annotated[str, typer.Argument(help="Refund id (refund-<redemption_id>-<request_id>).")]
SETTLE_S = 10.0


@app.command("refund")
@exits_without_teardown
def refund_command(
    redemption_id: RedemptionArg,
    reason: ReasonOption,
    quantity: Annotated[int | None, typer.Option(min=1, max=100)] = None,
    actor: Annotated[str, typer.Option("--actor")] = "cli",
    request_id: Annotated[str | None, typer.Option(help="Idempotency key (default: new).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Refund a completed redemption in full or by --quantity units."""
    request = validated(
        lambda: c.RefundRequest(
            redemption_id=redemption_id,
            request_id=request_id or uuid.uuid4().hex,
            quantity=quantity,
            reason=reason,
            actor=actor,
            actor_role="operator",
        )
    )

    async def job(client: Client) -> c.RefundState:
        handle = await client.start_workflow(
            c.REFUND_WORKFLOW,
            request,
            id=c.refund_workflow_id(redemption_id, request.request_id),
            task_queue=context.settings().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            result_type=c.RefundResult,
        )
        # Still running after that (waiting for operations, most likely): say where it is.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(handle.result()), SETTLE_S)
        state: c.RefundState = await handle.query(c.QUERY_STATE, result_type=c.RefundState)
        return state

    emit(run(job, redemption_id), as_json=as_json, text=refund_text)


def refund_text(state: c.RefundState) -> str:
    if state.result is not None:
        r = state.result
        return (
            f"refunded {r.points_refunded:,} pts ({r.quantity_refunded} units) "
            f"of {r.redemption_id}; "
            f"{r.total_refunded_points:,} pts refunded in all; voucher voided: {r.voucher_voided}"
        )
    lines = [f"{state.refund_id}: {state.status.value} ({state.points:,} pts)"]
    lines += [f"  needs operations: {reason}" for reason in state.review_reasons]
    if state.status == c.RefundStatus.AWAITING_APPROVAL:
        lines.append(f"  decide with: loyalty refund-approve|refund-reject {state.refund_id} ...")
    return "\n".join(lines)


def _decide(refund_id: str, update: str, action: c.OperatorAction, as_json: bool) -> None:
    async def job(client: Client) -> c.RefundUpdateResult:
        result: c.RefundUpdateResult = await client.get_workflow_handle(refund_id).execute_update(
            update, action, result_type=c.RefundUpdateResult
        )
        return result

    emit(run(job, refund_id), as_json=as_json, text=lambda r: f"{r.message}: {r.status.value}")


@app.command("refund-approve")
@exits_without_teardown
def refund_approve_command(
    refund_id: RefundArg,
    operator: Annotated[str, typer.Option("--operator")],
    reason: ReasonOption,
    as_json: JsonOption = False,
) -> None:
    """Operations: approve a refund waiting for review (not your own request)."""
    _decide(refund_id, c.UPDATE_APPROVE, operator_action(operator, reason), as_json)


@app.command("refund-reject")
@exits_without_teardown
def refund_reject_command(
    refund_id: RefundArg,
    operator: Annotated[str, typer.Option("--operator")],
    reason: ReasonOption,
    as_json: JsonOption = False,
) -> None:
    """Operations: reject a refund waiting for review; no point comes back."""
    _decide(refund_id, c.UPDATE_REJECT, operator_action(operator, reason), as_json)

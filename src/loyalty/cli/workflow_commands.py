"""Saga commands: run the worker, start and steer redemptions through Temporal."""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from loyalty import operations
from loyalty.cli import context
from loyalty.cli.output import (
    EXIT_NOT_FOUND,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    emit,
    fail,
    validated,
)
from loyalty.contracts import redemption as c
from loyalty.errors import InvalidStateError
from loyalty.operations import send_update
from loyalty.temporal_client import connect, connect_options

app = typer.Typer()
T = TypeVar("T")
P = ParamSpec("P")

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
RedemptionArg = Annotated[str, typer.Argument(help="Redemption id (redemption-<request_id>).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (written to the history).")]


@contextmanager
def temporal_errors(target: str) -> Iterator[None]:
    """One clear line for what Temporal says, instead of a traceback."""
    try:
        yield
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise fail(f"{target} not found", EXIT_NOT_FOUND) from None
        if error.status == RPCStatusCode.UNAVAILABLE:
            raise fail(f"cannot reach Temporal: {error.message}", EXIT_UNAVAILABLE) from None
        raise fail(error.message, EXIT_REFUSED) from None
    except WorkflowUpdateFailedError as error:
        raise fail(str(error.cause.message if error.cause else error), EXIT_REFUSED) from None  # type: ignore[attr-defined]
    except WorkflowFailureError as error:
        raise fail(str(getattr(error.cause, "message", error.cause)), EXIT_REFUSED) from None


def run(job: Callable[[Client], Coroutine[Any, Any, T]], target: str) -> T:
    async def main() -> T:
        settings = context.settings()
        try:
            client = await connect(settings)
        except RuntimeError as error:
            address = connect_options(settings)["target_host"]
            message = f"cannot reach Temporal at {address}: {error}"
            raise fail(message, EXIT_UNAVAILABLE) from None
        with temporal_errors(target):
            return await job(client)

    return asyncio.run(main())


def exits_without_teardown(command: Callable[P, None]) -> Callable[P, None]:
    """End a short-lived Temporal client process without interpreter teardown.

    The SDK's Rust runtime threads can outlive CPython finalization and abort
    the process ("PyGILState_Release ... must be current"; temporalio/sdk-python
    issue 300), turning a clean exit into SIGABRT. Once the output is flushed,
    nothing is left to tear down, so the command exits at once with its code.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        code = 0
        try:
            command(*args, **kwargs)
        except typer.Exit as done:
            code = done.exit_code
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    return wrapper


def state_text(state: c.RedemptionState) -> str:
    lines = [f"{state.redemption_id}: {state.summary()}"]
    if state.reasons:
        lines.append("reasons: " + "; ".join(state.reasons))
    lines += [f"  {o.at:%H:%M:%S} {o.step.value:18} {o.status:11} {o.detail}" for o in state.steps]
    return "\n".join(lines)


@app.command("worker")
def worker_command() -> None:
    """Serve the saga task queue until SIGTERM/SIGINT (graceful shutdown)."""
    from loyalty.worker import run_worker

    asyncio.run(run_worker(context.settings()))


@app.command("redeem")
@exits_without_teardown
def redeem_command(
    member_id: Annotated[str, typer.Argument()],
    reward_id: Annotated[str, typer.Argument()],
    quantity: Annotated[int, typer.Option(min=1, max=100)] = 1,
    request_id: Annotated[str | None, typer.Option(help="Idempotency key (default: new).")] = None,
    channel: Annotated[str, typer.Option()] = "cli",
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the outcome.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Start a redemption; the same --request-id returns the same redemption."""
    request = c.RedemptionRequest(
        request_id=request_id or uuid.uuid4().hex,
        member_id=member_id,
        reward_id=reward_id,
        quantity=quantity,
        channel=channel,
        requested_by="cli",
    )
    # The CLI is staff tooling: its ids never meet a customer's or the system's.
    workflow_id = c.redemption_workflow_id(
        scope=c.IdScope.STAFF, member_id=member_id, request_id=request.request_id
    )

    async def job(client: Client) -> c.RedemptionState:
        try:
            handle = await client.start_workflow(
                c.REDEMPTION_WORKFLOW,
                request,
                id=workflow_id,
                task_queue=context.settings().task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                result_type=c.RedemptionState,
            )
        except WorkflowAlreadyStartedError:  # closed already: same request, same redemption
            handle = client.get_workflow_handle(workflow_id, result_type=c.RedemptionState)
        state: c.RedemptionState = await (
            handle.result() if wait else handle.query(c.QUERY_STATE, result_type=c.RedemptionState)
        )
        return state

    emit(run(job, workflow_id), as_json=as_json, text=state_text)


@app.command("status")
@exits_without_teardown
def status_command(redemption_id: RedemptionArg, as_json: JsonOption = False) -> None:
    """The live state of a redemption (works after it closes, too)."""

    async def job(client: Client) -> c.RedemptionState:
        handle = client.get_workflow_handle(redemption_id)
        state: c.RedemptionState = await handle.query(c.QUERY_STATE, result_type=c.RedemptionState)
        return state

    emit(run(job, redemption_id), as_json=as_json, text=state_text)


def _update(redemption_id: str, name: str, payload: Any, as_json: bool) -> None:
    emit(_send(redemption_id, send_update, name, payload), as_json=as_json, text=_update_text)


def _send(redemption_id: str, action: Callable[..., Awaitable[T]], *args: Any) -> T:
    async def job(client: Client) -> T:
        try:
            return await action(client, redemption_id, *args)
        except InvalidStateError as error:  # the redemption has closed
            raise fail(error.message, EXIT_REFUSED) from None

    return run(job, redemption_id)


def _update_text(result: c.UpdateResult) -> str:
    return f"{result.message}: {result.status.value}"


@app.command("approve")
@exits_without_teardown
def approve_command(
    redemption_id: RedemptionArg,
    agent: Annotated[str, typer.Option("--agent")],
    reason: ReasonOption,
    as_json: JsonOption = False,
) -> None:
    """Approve a redemption waiting for fraud review."""
    _update(redemption_id, c.UPDATE_APPROVE, _decision(agent, reason), as_json)


@app.command("reject")
@exits_without_teardown
def reject_command(
    redemption_id: RedemptionArg,
    agent: Annotated[str, typer.Option("--agent")],
    reason: ReasonOption,
    as_json: JsonOption = False,
) -> None:
    """Reject a redemption waiting for fraud review (it is compensated)."""
    _update(redemption_id, c.UPDATE_REJECT, _decision(agent, reason), as_json)


@app.command("cancel")
@exits_without_teardown
def cancel_command(
    redemption_id: RedemptionArg,
    by: Annotated[str, typer.Option("--by")] = "cli",
    as_json: JsonOption = False,
) -> None:
    """Cancel before capture (compensates); refused with a reason once too late."""
    _update(redemption_id, c.UPDATE_CANCEL, c.CancelRequest(requested_by=by), as_json)


@app.command("retry-compensations")
@exits_without_teardown
def retry_command(
    redemption_id: RedemptionArg,
    operator: Annotated[str, typer.Option("--operator")],
    reason: ReasonOption,
    as_json: JsonOption = False,
) -> None:
    """Operators: run the failed compensations of a needs_attention redemption again."""
    action = operator_action(operator, reason)
    result = _send(redemption_id, operations.retry_compensations, action)
    emit(result, as_json=as_json, text=_update_text)


@app.command("resolve")
@exits_without_teardown
def resolve_command(
    redemption_id: RedemptionArg,
    operator: Annotated[str, typer.Option("--operator")],
    reason: ReasonOption,
    as_json: JsonOption = False,
) -> None:
    """Operators: mark a needs_attention redemption resolved by hand."""
    result = _send(redemption_id, operations.resolve, operator_action(operator, reason))
    emit(result, as_json=as_json, text=_update_text)


def _decision(agent: str, reason: str) -> c.ReviewDecision:
    return validated(lambda: c.ReviewDecision(agent_id=agent, reason=reason, role="operator"))


def operator_action(operator: str, reason: str) -> c.OperatorAction:
    return validated(lambda: c.OperatorAction(operator_id=operator, reason=reason))

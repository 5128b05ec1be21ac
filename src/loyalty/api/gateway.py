"""Every Temporal call the API makes, with Temporal's errors turned into the error tree.

Starts use ``USE_EXISTING`` + ``REJECT_DUPLICATE``: concurrent identical starts
join one run, and a closed run is never started again. A start that started the
run needs nothing more. Because either policy answers a repeat silently, a join
compares the body with the input the run was started with (the first history
event), which is authoritative even for a run started by another client; a
redemption first compares its memo's fingerprint of that input, read by the
describe that gives its status anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.client import WorkflowUpdateStage as Stage
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from loyalty import errors
from loyalty.api.errors import FieldError, from_application_error
from loyalty.contracts import search
from loyalty.contracts.accrual import (
    ACCRUAL_RETURN_WORKFLOW,
    ACCRUAL_WORKFLOW,
    NOT_PENDING,
    UPDATE_RECORDED,
    UPDATE_RETURN,
    AccrualRequest,
    AccrualReturnRequest,
    AccrualState,
    AwaitRecorded,
    ReturnOutcome,
    ReturnPurchase,
    accrual_return_workflow_id,
)
from loyalty.contracts.redemption import (
    QUERY_STATE,
    REDEMPTION_WORKFLOW,
    REFUND_WORKFLOW,
    IdScope,
    OperatorAction,
    RedemptionRequest,
    RedemptionState,
    RedemptionStatus,
    RefundRequest,
    RefundResult,
    UpdateResult,
    redemption_workflow_id,
    refund_workflow_id,
)

M = TypeVar("M", bound=BaseModel)


class _Closed(Exception):
    """The workflow can no longer take this update (closed, or past the step it serves)."""


class StateUnanswered(errors.UnavailableError):
    """The run is open but no worker answered its state query (none polls, or too slow).

    ``status`` and ``points`` are the run's search attributes, which the server keeps
    without a worker (the workflow upserts them together). ``status`` is in the words of
    the run's own workflow (each saga has its own statuses), None before it set one.
    Where nothing reads them, this is the 503 it always was.
    """

    def __init__(self, message: str, *, status: str | None, points: int | None) -> None:
        super().__init__(message)
        self.status = status
        self.points = points


OperatorCall = Callable[[Client, str, OperatorAction], Awaitable[UpdateResult]]
_QUERY_TIMEOUT = timedelta(seconds=5)
# A redemption's GET waits less for its query: without an answer it shows what is stored.
_STATE_QUERY_TIMEOUT = timedelta(seconds=2)
_REDEMPTION_KEYS = ("member_id", "reward_id", "quantity", "channel", "device_id")

# The memo key of a redemption's fingerprint of its ``_REDEMPTION_KEYS`` (runs from before
# it lack it: their first history event is read instead).
_FINGERPRINT_MEMO = "request_fingerprint"

_REFUND_KEYS = ("redemption_id", "quantity", "reason")
_ACCRUAL_KEYS = ("member_id", "order_id", "amount", "currency")
_RETURN_KEYS = ("accrual_id", "amount")


@dataclass(frozen=True)
class StartedRedemption:
    """A redemption this call started or joined, and its status when a call told it.

    ``status`` is None when Temporal did not say (a closed run, or a failed describe):
    the caller reads the stored one.
    """

    redemption_id: str
    status: RedemptionStatus | None


class TemporalGateway:
    """Start, query and update the sagas for the API.

    Args:
        client: a connected Temporal client using ``DATA_CONVERTER``.
        task_queue: where the workers listen (``settings.task_queue``).
        wait_s: how long an action waits for its outcome before answering "still running".
    """

    def __init__(self, client: Client, *, task_queue: str, wait_s: float = 10.0) -> None:
        self._client = client
        self._task_queue = task_queue
        self._wait_s = wait_s

    async def start_redemption(
        self, request: RedemptionRequest, *, scope: IdScope, memo: dict[str, Any]
    ) -> StartedRedemption:
        """Start (or join) the redemption; 409 when the request id was used for another body.

        The id is scoped by ``scope`` and the member, so a 409 can only ever
        compare a caller's request with one from the same scope and member.
        One call when this starts the run (it is running: nothing has happened yet);
        a join adds a describe, and the history's first event only when the memo's
        fingerprint is missing or differs (to name the fields that differ).
        """
        workflow_id = redemption_workflow_id(
            scope=scope, member_id=request.member_id, request_id=request.request_id
        )
        fingerprint = _fingerprint(request, _REDEMPTION_KEYS)
        memo = {**memo, _FINGERPRINT_MEMO: fingerprint}
        if await self._start(REDEMPTION_WORKFLOW, request, workflow_id, memo=memo):
            return StartedRedemption(workflow_id, RedemptionStatus.RUNNING)
        try:
            described = await self._client.get_workflow_handle(workflow_id).describe()
        except RPCError:
            described = None
        if described is None or await _memo(described, _FINGERPRINT_MEMO) != fingerprint:
            await self._same_input(workflow_id, request, _REDEMPTION_KEYS)
        return StartedRedemption(workflow_id, _running_status(described))

    async def started_request(self, redemption_id: str) -> RedemptionRequest | None:
        """The input the redemption was started with, or None when there is no such workflow."""
        return await self._started_input(redemption_id, RedemptionRequest)

    async def live_state(self, redemption_id: str) -> RedemptionState | None:
        """The query result while the workflow runs; None once it has closed.

        Raises:
            StateUnanswered: it runs, but no worker answered within two seconds.
        """
        return await self._live(redemption_id, RedemptionState, timeout=_STATE_QUERY_TIMEOUT)

    async def ended(self, redemption_id: str, *, wait_s: float) -> bool:
        """Whether the redemption's workflow closed within ``wait_s`` (one long poll)."""
        handle = self._client.get_workflow_handle(redemption_id)
        try:
            await asyncio.wait_for(handle.result(), wait_s)
        except TimeoutError:
            return False
        except WorkflowFailureError:  # closed all the same; the caller reads what is stored
            return True
        return True

    async def final_state(self, redemption_id: str) -> RedemptionState | None:
        """The result of a closed redemption workflow (when the stored record is missing)."""
        try:
            return await self.result(redemption_id, RedemptionState)
        except (RPCError, errors.LoyaltyError):  # unreadable or failed: the caller falls back
            return None

    async def update(
        self,
        workflow_id: str,
        name: str,
        argument: BaseModel,
        *,
        closed: Callable[[], errors.LoyaltyError],
    ) -> UpdateResult | None:
        """Send a redemption update; see ``update_as``."""
        return await self.update_as(
            workflow_id, name, argument, closed=closed, result_type=UpdateResult
        )

    async def update_as(
        self,
        workflow_id: str,
        name: str,
        argument: BaseModel,
        *,
        closed: Callable[[], errors.LoyaltyError],
        result_type: type[M],
    ) -> M | None:
        """Send an update; None when accepted but not finished within ``wait_s``.

        ``closed`` builds the error for a workflow that has already finished.
        """
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            started = await handle.start_update(
                name, argument, wait_for_stage=Stage.ACCEPTED, result_type=result_type
            )
            result: M = await asyncio.wait_for(started.result(), self._wait_s)
        except TimeoutError:
            return None
        except WorkflowUpdateFailedError as error:
            raise from_application_error(error.cause) from None
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise closed() from None
            raise
        return result

    async def operator_action(
        self, redemption_id: str, action: OperatorCall, payload: OperatorAction
    ) -> UpdateResult:
        """Run one of ``loyalty.operations``' actions (the CLI's own) with the API's errors.

        Raises:
            NotFoundError: No such redemption.
            InvalidStateError: It is not ``needs_attention`` or has closed (409).
        """
        try:
            return await action(self._client, redemption_id, payload)
        except WorkflowUpdateFailedError as error:
            raise from_application_error(error.cause) from None
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise errors.NotFoundError(f"redemption {redemption_id} not found") from None
            raise

    async def refund(self, request: RefundRequest) -> tuple[str, RefundResult | None]:
        """Start (or join) the refund and wait briefly for its result."""
        workflow_id = refund_workflow_id(request.redemption_id, request.request_id)
        await self.start(REFUND_WORKFLOW, request, workflow_id, keys=_REFUND_KEYS)
        return workflow_id, await self.result(workflow_id, RefundResult)

    async def accrue(self, request: AccrualRequest, workflow_id: str) -> AccrualState | None:
        """Start (or join) the accrual; its state once the pending points are recorded.

        None when not recorded within ``wait_s``; 409 when the order id was used
        with another amount or currency.
        """
        await self.start(ACCRUAL_WORKFLOW, request, workflow_id, keys=_ACCRUAL_KEYS)
        with contextlib.suppress(_Closed):
            return await self._update(workflow_id, UPDATE_RECORDED, AwaitRecorded(), AccrualState)
        return await self.result(workflow_id, AccrualState)

    async def return_purchase(
        self, accrual_id: str, member_id: str, request: ReturnPurchase
    ) -> ReturnOutcome | None:
        """Take back a return's points: through the running Accrual while they are pending,
        else through an ``AccrualReturn`` workflow. None when not done within ``wait_s``.
        """
        with contextlib.suppress(_Closed):
            return await self._update(accrual_id, UPDATE_RETURN, request, ReturnOutcome)
        workflow_id = accrual_return_workflow_id(accrual_id, request.return_id)
        argument = AccrualReturnRequest(
            accrual_id=accrual_id,
            member_id=member_id,
            return_id=request.return_id,
            amount=request.amount,
            reason=request.reason,
            actor=request.actor,
        )
        # A refused return took nothing (the ledger rolled it back), so its id may run
        # again, corrected; one that completed keeps the id, idempotent as before.
        await self.start(
            ACCRUAL_RETURN_WORKFLOW,
            argument,
            workflow_id,
            keys=_RETURN_KEYS,
            reuse=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        )
        return await self.result(workflow_id, ReturnOutcome)

    async def _update(
        self, workflow_id: str, name: str, argument: BaseModel, result_type: type[M]
    ) -> M | None:
        """Execute an update; None after ``wait_s``.

        Raises:
            _Closed: the run has closed, or refused the update as no longer pending.
        """
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            started = await handle.start_update(
                name, argument, wait_for_stage=Stage.ACCEPTED, result_type=result_type
            )
            result: M = await asyncio.wait_for(started.result(), self._wait_s)
        except TimeoutError:
            return None
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.type == NOT_PENDING:
                raise _Closed from None
            raise from_application_error(cause) from None
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise _Closed from None
            raise
        return result

    async def start(
        self,
        workflow: str,
        argument: BaseModel,
        workflow_id: str,
        *,
        keys: tuple[str, ...],
        reuse: WorkflowIDReusePolicy = WorkflowIDReusePolicy.REJECT_DUPLICATE,
    ) -> None:
        """Start (or join) any workflow; 409 when ``keys`` differ from the latest start.

        ``reuse`` decides whether a closed run's id starts a new run (e.g. after a failure).
        A call that started the run needs no comparison.
        """
        if not await self._start(workflow, argument, workflow_id, memo={}, reuse=reuse):
            await self._same_input(workflow_id, argument, keys)

    async def started(self, workflow_id: str, model: type[M]) -> M | None:
        """The input a workflow was started with, or None when there is no such workflow."""
        return await self._started_input(workflow_id, model)

    async def query_or_result(self, workflow_id: str, model: type[M]) -> M | None:
        """The live ``state`` query of a workflow, or its result once closed."""
        live = await self._live(workflow_id, model)
        return live if live is not None else await self.result(workflow_id, model)

    async def live(self, workflow_id: str, model: type[M]) -> M | None:
        """The ``state`` query while the workflow runs; None when closed or unknown."""
        return await self._live(workflow_id, model)

    async def list_page(
        self, query: str, *, page_size: int, token: bytes | None
    ) -> tuple[list[WorkflowExecution], bytes | None]:
        """One page of a visibility query, and the token of the next (None at the end).

        Raises:
            FieldError: Temporal refused ``token`` (``cursor`` in the API).
        """
        pages = self._client.list_workflows(query, page_size=page_size, next_page_token=token)
        try:
            await pages.fetch_next_page()
        except RPCError as error:
            if error.status == RPCStatusCode.INVALID_ARGUMENT and token is not None:
                raise FieldError("cursor", "not a cursor this list returned") from None
            raise
        return list(pages.current_page or []), pages.next_page_token

    async def _live(
        self, workflow_id: str, model: type[M], *, timeout: timedelta = _QUERY_TIMEOUT
    ) -> M | None:
        """The ``state`` query while the workflow runs; None when closed or unknown.

        Raises:
            StateUnanswered: the run is open but its query failed or timed out (no worker
                has run it yet, or none polls its task queue).
        """
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            described = await handle.describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        if not _is_running(described):
            return None
        unanswered = StateUnanswered(
            f"state of {workflow_id} not readable",
            status=described.typed_search_attributes.get(search.STATUS),
            points=described.typed_search_attributes.get(search.POINTS),
        )
        try:
            state: M = await handle.query(QUERY_STATE, result_type=model, rpc_timeout=timeout)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise unanswered from error
        except WorkflowQueryFailedError as error:
            raise unanswered from error
        return state

    async def result(self, workflow_id: str, model: type[M]) -> M | None:
        """The workflow's result, waiting up to ``wait_s``; None when unknown or still running."""
        handle = self._client.get_workflow_handle(workflow_id, result_type=model)
        try:
            done: M = await asyncio.wait_for(handle.result(), self._wait_s)
        except TimeoutError:
            return None
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        except WorkflowFailureError as error:
            raise from_application_error(error.cause) from None
        return done

    async def execute(
        self,
        workflow: str,
        argument: BaseModel,
        workflow_id: str,
        *,
        result_type: type[M],
        reuse: WorkflowIDReusePolicy = WorkflowIDReusePolicy.REJECT_DUPLICATE,
    ) -> M | None:
        """Start (or join) a workflow; wait ``wait_s`` for its result (None: still running)."""
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                workflow,
                argument,
                id=workflow_id,
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=reuse,
            )
        handle = self._client.get_workflow_handle(workflow_id, result_type=result_type)
        try:
            result: M = await asyncio.wait_for(handle.result(), self._wait_s)
        except TimeoutError:
            return None
        except WorkflowFailureError as error:
            raise from_application_error(error.cause) from None
        return result

    async def _start(
        self,
        workflow: str,
        argument: BaseModel,
        workflow_id: str,
        *,
        memo: dict[str, Any],
        reuse: WorkflowIDReusePolicy = WorkflowIDReusePolicy.REJECT_DUPLICATE,
    ) -> bool:
        """Start or join the run; True only when this call started it (``argument`` is its input).

        A closed run raises WorkflowAlreadyStartedError: the input comparison then decides.
        """
        try:
            handle = await self._client.start_workflow(
                workflow,
                argument,
                id=workflow_id,
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=reuse,
                memo=memo,
            )
        except WorkflowAlreadyStartedError:
            return False
        return _started_now(handle)

    async def _same_input(self, workflow_id: str, given: BaseModel, keys: tuple[str, ...]) -> None:
        original = await self._started_input(workflow_id, type(given))
        if original is None:
            raise errors.UnavailableError(f"workflow {workflow_id} has no readable history")
        differ = [k for k in keys if getattr(original, k) != getattr(given, k)]
        if differ:
            raise errors.IdempotencyConflictError(
                f"request_id already used with a different body ({', '.join(differ)} differ)",
                reasons=[f"{k} differs from the first request" for k in differ],
            )

    async def _started_input(self, workflow_id: str, model: type[M]) -> M | None:
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            async for event in handle.fetch_history_events(page_size=1):
                payloads = event.workflow_execution_started_event_attributes.input.payloads
                values = await self._client.data_converter.decode(payloads, [model])
                value: M = values[0]
                return value
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        return None


def _started_now(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the start that returned ``handle`` started the run (not joined a running one).

    The server answers it (``StartWorkflowExecutionResponse.started``, with
    ``USE_EXISTING``); the SDK (1.35) keeps the response on the handle without a public
    accessor. Without it every start counts as a join: correct, one describe dearer
    (``tests/api/test_redemption_calls.py`` notices).
    """
    response = getattr(handle, "_start_workflow_response", None)
    return bool(getattr(response, "started", False))


def _fingerprint(argument: BaseModel, keys: tuple[str, ...]) -> str:
    values = {k: getattr(argument, k) for k in keys}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


async def _memo(described: WorkflowExecutionDescription, key: str) -> object:
    try:
        return await described.memo_value(key, None)
    except Exception:  # an unreadable memo compares as missing: the history decides
        return None


def _is_running(described: WorkflowExecutionDescription) -> bool:
    return described.status is not None and described.status.name == "RUNNING"


def _running_status(described: WorkflowExecutionDescription | None) -> RedemptionStatus | None:
    """The status search attribute of a running redemption; None when closed or unknown."""
    if described is None or not _is_running(described):
        return None
    return redemption_status(described.typed_search_attributes.get(search.STATUS))


def redemption_status(value: str | None) -> RedemptionStatus:
    """A redemption's status search attribute; a run that set none yet is running."""
    return RedemptionStatus(value) if value else RedemptionStatus.RUNNING

"""Updates sent to a running redemption, shared by the ``loyalty`` CLI and the HTTP API.

Both send the operators' ``retry_compensations`` and ``resolve`` (and the
CLI its reviews and cancels) through :func:`send_update`, so the two front
ends refuse alike: an update the workflow's validator refuses raises the SDK's
``WorkflowUpdateFailedError`` (each front end shows its cause), and an update
to a workflow that has closed says how it ended instead of Temporal's bare
"not found".
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from loyalty.contracts.redemption import (
    QUERY_STATE,
    UPDATE_RESOLVE,
    UPDATE_RETRY_COMPENSATIONS,
    OperatorAction,
    RedemptionState,
    UpdateResult,
)
from loyalty.errors import InvalidStateError


async def send_update(
    client: Client, redemption_id: str, name: str, payload: BaseModel
) -> UpdateResult:
    """Send update ``name`` and wait for its result.

    Raises:
        InvalidStateError: The redemption has already closed (the message names how).
        WorkflowUpdateFailedError: The workflow refused the update (its validator's cause).
        RPCError: ``NOT_FOUND`` when there is no such redemption at all.
    """
    handle = client.get_workflow_handle(redemption_id)
    try:
        result: UpdateResult = await handle.execute_update(name, payload, result_type=UpdateResult)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        # Temporal answers NOT_FOUND for an update to a closed workflow: say why.
        state = await handle.query(QUERY_STATE, result_type=RedemptionState)
        raise InvalidStateError(
            f"too late: the redemption is already {state.status.value}"
        ) from None
    return result


async def retry_compensations(
    client: Client, redemption_id: str, action: OperatorAction
) -> UpdateResult:
    """Run the failed compensations of a ``needs_attention`` redemption again."""
    return await send_update(client, redemption_id, UPDATE_RETRY_COMPENSATIONS, action)


async def resolve(client: Client, redemption_id: str, action: OperatorAction) -> UpdateResult:
    """Close a ``needs_attention`` redemption an operator fixed by hand."""
    return await send_update(client, redemption_id, UPDATE_RESOLVE, action)

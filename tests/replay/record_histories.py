"""Record the histories that test_replay.py replays (not collected by default).

Run by name after an intended, versioned workflow change:
``.venv/bin/pytest tests/replay/record_histories.py``
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from pathlib import Path

from temporalio.client import WorkflowFailureError

from loyalty.contracts import redemption as act
from loyalty.contracts.redemption import (
    UPDATE_APPROVE,
    RedemptionStatus,
    ReviewDecision,
    UpdateResult,
)
from tests.conftest import MemberFactory
from tests.support.redemptions import redemption_request, wait_for
from tests.support.temporal import SagaHarness

HISTORIES = Path(__file__).parent / "histories"


async def test_record_histories(
    saga: SagaHarness, new_member: MemberFactory, seeded_catalog: None
) -> None:
    async def save(name: str, handle_id: str) -> None:
        history = await saga.client.get_workflow_handle(handle_id).fetch_history()
        (HISTORIES / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))

    done = await saga.redeem(redemption_request(new_member(points=5_000)))
    await save("happy_path", done.redemption_id)
    saga.faults.fail(act.CAPTURE_POINTS)
    failed = await saga.redeem(redemption_request(new_member(points=5_000)))
    await save("compensated", failed.redemption_id)
    saga.faults.heal(act.CAPTURE_POINTS)
    member = new_member(points=5_000, joined_on=dt.date.today())
    handle = await saga.start(redemption_request(member, device_id="new-device"))
    await wait_for(handle, status=RedemptionStatus.AWAITING_APPROVAL)
    await handle.execute_update(
        UPDATE_APPROVE,
        ReviewDecision(agent_id="agent-1", reason="verified"),
        result_type=UpdateResult,
    )
    await handle.result()
    await save("review_approved", handle.id)

    saga.faults.delay(act.RESERVE_POINTS, 1.0)  # cancelled from the Web UI while the hold lands
    reserves = saga.faults.calls[act.RESERVE_POINTS]
    handle = await saga.start(redemption_request(new_member(points=5_000)))
    while saga.faults.calls[act.RESERVE_POINTS] == reserves:
        await asyncio.sleep(0.05)
    await handle.cancel()
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()
    await save("cancelled_during_hold", handle.id)

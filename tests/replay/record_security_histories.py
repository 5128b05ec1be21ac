"""Record the histories of the paths issue 10 put behind patches (not collected by default).

Run by name after an intended change: ``.venv/bin/pytest tests/replay/record_security_histories.py``

- ``durable_fanout_*``: Redemption and Refund runs with ``durable-webhook-fanout``;
  a subscription exists, so each fan-out starts a WebhookDelivery child.
- ``scoped_child_assisted_redemption``: an assisted reward redemption with
  ``scoped-child-redemption-id`` (its child Redemption in the system scope).

The recordings from before these patches (``happy_path``, ``compensated``,
``review_approved``...) keep proving the old paths.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from loyalty.contracts import redemption as act
from loyalty.contracts.assisted import AssistedRequest
from loyalty.contracts.redemption import (
    REFUND_WORKFLOW,
    UPDATE_APPROVE,
    RedemptionStatus,
    RefundRequest,
    RefundResult,
    ReviewDecision,
    UpdateResult,
    refund_workflow_id,
)
from loyalty.webhooks import subscriptions
from loyalty.webhooks.secrets import SecretBox
from tests.conftest import MemberFactory, unique_id
from tests.integration.agents.conftest import (
    assisted,
    assisted_factory,
    embedder,
    ingested,
    policy_store,
)
from tests.support.assisted import AssistedHarness
from tests.support.redemptions import redemption_request, wait_for
from tests.support.temporal import TEST_SECRETS, SagaHarness

__all__ = ["assisted", "assisted_factory", "embedder", "ingested", "policy_store"]
HISTORIES = Path(__file__).parent / "histories"
WORKFLOW_IDS = Path(__file__).parent / "workflow_ids.json"


async def _save(client: Client, name: str, workflow_id: str) -> None:
    """Keep the history, and its workflow id: the fan-out's child ids are built from it."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    (HISTORIES / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))
    ids = json.loads(WORKFLOW_IDS.read_text()) if WORKFLOW_IDS.exists() else {}
    WORKFLOW_IDS.write_text(json.dumps({**ids, name: workflow_id}, indent=1, sort_keys=True) + "\n")


def _subscribe(sessions: sessionmaker[Session]) -> str:
    # The worker's stand-in DNS resolves nothing: the delivery children never leave the machine.
    with sessions.begin() as session:
        row, _ = subscriptions.create(
            session,
            SecretBox(SecretStr(TEST_SECRETS["webhook_secret"])),
            url="https://hooks.example.com/recording",
            events=["redemption.completed", "redemption.compensated", "redemption.refunded"],
            description="replay recording",
            created_by="recorder",
        )
        return row.id


async def test_record_durable_fanout_histories(
    saga: SagaHarness,
    new_member: MemberFactory,
    sessions: sessionmaker[Session],
    seeded_catalog: None,
) -> None:
    subscription_id = _subscribe(sessions)
    done = await saga.redeem(redemption_request(new_member(points=5_000)))
    await _save(saga.client, "durable_fanout_happy_path", done.redemption_id)
    refund = RefundRequest(
        redemption_id=done.redemption_id,
        request_id=unique_id("refund"),
        reason="member returned it",
        actor="agent-9",
    )
    refund_id = refund_workflow_id(done.redemption_id, refund.request_id)
    await saga.client.execute_workflow(
        REFUND_WORKFLOW, refund, id=refund_id, task_queue=saga.task_queue, result_type=RefundResult
    )
    await _save(saga.client, "durable_fanout_refund", refund_id)
    saga.faults.fail(act.CAPTURE_POINTS)
    failed = await saga.redeem(redemption_request(new_member(points=5_000)))
    await _save(saga.client, "durable_fanout_compensated", failed.redemption_id)
    saga.faults.heal(act.CAPTURE_POINTS)
    member = new_member(points=5_000, joined_on=dt.date.today())
    handle = await saga.start(redemption_request(member, device_id="new-device"))
    await wait_for(handle, status=RedemptionStatus.AWAITING_APPROVAL)
    await handle.execute_update(
        UPDATE_APPROVE,
        ReviewDecision(agent_id="agent-1", reason="verified", role="support_agent"),
        result_type=UpdateResult,
    )
    await handle.result()
    await _save(saga.client, "durable_fanout_review_approved", handle.id)
    with sessions.begin() as session:
        subscriptions.deactivate(session, subscription_id=subscription_id)


async def test_record_scoped_child_history(
    assisted: AssistedHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    request = AssistedRequest(
        request_id=unique_id("case"),
        member_id=member,
        reason="member asked to redeem a gift card",
        purpose="redemption",
        reward_id="R-GIFT-10",
        requested_by="agent-7",
    )
    state = await assisted.run(request)
    assert state.redemption_id and state.redemption_id.startswith("redemption-system~")
    await _save(assisted.client, "scoped_child_assisted_redemption", state.case_id)

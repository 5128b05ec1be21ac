"""The worker's async activities never block its event loop with database or file I/O.

An ``async def`` activity runs on the loop that also polls Temporal and drives
every workflow: a query or a policy read there stalls them all. Each async
activity is run here against the real database and Temporal, with a listener
that notes every SQL statement issued while an event loop runs in its thread,
and a policy book that notes every read of the policy folder made there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from loyalty.activities.holds import HoldSweepActivities
from loyalty.activities.maintenance import MaintenanceActivities
from loyalty.activities.records import RecordActivities
from loyalty.activities.webhooks import WebhookActivities
from loyalty.config import PROJECT_ROOT
from loyalty.contracts.maintenance import HoldSweepRequest, ReconcileRequest
from loyalty.contracts.redemption import NotifyRedemption, RedemptionState
from loyalty.contracts.webhooks import EventType, SubscriberQuery, redemption_event
from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook, PolicyDocument
from loyalty.webhooks.secrets import SecretBox
from loyalty.worker import partner_client
from tests.support import temporal as support
from tests.support.partner_simulator import PartnerSimulator


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Seen:
    """What ran where: (on the loop, off it) counts of statements and policy reads."""

    def __init__(self) -> None:
        self.statements = [0, 0]
        self.policy_reads = [0, 0]


class WatchedBook(PolicyBook):
    def __init__(self, seen: Seen) -> None:
        super().__init__(PROJECT_ROOT / "policies")
        self._seen = seen

    def documents(self) -> list[PolicyDocument]:
        self._seen.policy_reads[0 if _on_loop() else 1] += 1
        return super().documents()


@pytest.fixture
def seen(own_sessions: sessionmaker[Session]) -> Iterator[Seen]:
    engine: Engine = own_sessions.kw["bind"]
    seen = Seen()

    def note(*_: Any) -> None:
        seen.statements[0 if _on_loop() else 1] += 1

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def environment(temporal_env: WorkflowEnvironment) -> ActivityEnvironment:
    return ActivityEnvironment(client=temporal_env.client)


def _state() -> RedemptionState:
    return RedemptionState(
        redemption_id="R-off-loop",
        request_id="req-off-loop",
        member_id="M-off-loop",
        reward_id="R-GIFT-10",
        quantity=1,
        channel="web",
    )


async def test_the_hold_sweeper_reads_policies_and_holds_off_the_loop(
    seen: Seen,
    environment: ActivityEnvironment,
    own_database: str,
    own_sessions: sessionmaker[Session],
    partner_simulator: PartnerSimulator,
    temporal_env: WorkflowEnvironment,
) -> None:
    settings = support.test_settings(database_url=own_database, partner_url=partner_simulator.url)
    with partner_client(settings) as partner:
        sweeper = HoldSweepActivities(
            sessions=own_sessions,
            ledger=Ledger(own_sessions),
            partner=partner,
            client=temporal_env.client,
            policies=WatchedBook(seen),
        )
        await environment.run(sweeper.sweep_expired_holds, HoldSweepRequest())

    assert seen.policy_reads == [0, 1]
    assert seen.statements[0] == 0 and seen.statements[1] > 0


async def test_reconciliation_reads_the_ledger_off_the_loop(
    seen: Seen,
    environment: ActivityEnvironment,
    own_sessions: sessionmaker[Session],
    temporal_env: WorkflowEnvironment,
) -> None:
    maintenance = MaintenanceActivities(
        ledger=Ledger(own_sessions),
        sessions=own_sessions,
        client=temporal_env.client,
        policies=WatchedBook(seen),
    )
    await environment.run(maintenance.reconcile_ledger, ReconcileRequest())

    assert seen.statements[0] == 0 and seen.statements[1] > 0
    assert seen.policy_reads[0] == 0


async def test_webhook_fan_outs_read_subscriptions_off_the_loop(
    seen: Seen, environment: ActivityEnvironment, own_sessions: sessionmaker[Session]
) -> None:
    webhooks = WebhookActivities(sessions=own_sessions, box=SecretBox(SecretStr("s" * 32)))
    records = RecordActivities(sessions=own_sessions)
    event_ = redemption_event(EventType.COMPLETED, _state(), at=dt.datetime.now(dt.UTC))

    await environment.run(webhooks.list_subscribers, SubscriberQuery(event_type=EventType.FAILED))
    await environment.run(webhooks.publish_event, event_)
    await environment.run(
        records.notify_redemption, NotifyRedemption(event=EventType.COMPLETED, state=_state())
    )

    assert seen.statements == [0, 3]

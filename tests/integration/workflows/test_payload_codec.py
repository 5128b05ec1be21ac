"""The optional payload codec: with LOYALTY_PAYLOAD_KEY, Temporal stores ciphertext only.

A client and worker built from settings with a key run a real redemption on
the dev server; the same history read without the key shows encrypted
payloads (no price line, no idempotency key), while the workflow id and the
search attributes that operators filter on stay readable.
"""

from __future__ import annotations

import base64
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from loyalty.config import Settings
from loyalty.contracts import search
from loyalty.contracts.redemption import RedemptionStatus
from loyalty.temporal_client import data_converter
from loyalty.temporal_codec import ENCODING
from tests.conftest import MemberFactory
from tests.support import temporal as support
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import redemption_request


async def test_with_a_key_history_holds_only_ciphertext(
    temporal_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    database_url: str,
    partner_simulator: PartnerSimulator,
    activity_executor: ThreadPoolExecutor,
    new_member: MemberFactory,
    seeded_catalog: None,
) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    settings = support.test_settings(
        database_url=database_url,
        partner_url=partner_simulator.url,
        payload_key=key,
        **support.RELAXED_FRAUD,
    )
    plain = temporal_env.client
    encrypted = Client(
        plain.service_client, namespace=plain.namespace, data_converter=data_converter(settings)
    )
    member = new_member(points=5_000)

    async with support.running_worker(
        encrypted, sessions=sessions, settings=settings, executor=activity_executor
    ) as saga:
        state = await saga.redeem(redemption_request(member))
    history = await plain.get_workflow_handle(state.redemption_id).fetch_history()
    described = await plain.get_workflow_handle(state.redemption_id).describe()

    assert state.status == RedemptionStatus.COMPLETED, state.reasons
    started = history.events[0].workflow_execution_started_event_attributes.input.payloads
    assert [p.metadata["encoding"] for p in started] == [ENCODING]
    text = history.to_json()
    assert "1 x 1000 points" not in text and ":reserve_points" not in text
    assert described.typed_search_attributes.get(search.MEMBER_ID) == member


def test_a_malformed_key_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="LOYALTY_PAYLOAD_KEY must be 32 bytes"):
        Settings(environment="development", payload_key=base64.b64encode(b"short").decode())

"""Property-based run over the app's own OpenAPI schema: no 5xx, no response off the schema.

The app runs in a real uvicorn server on its own thread and event loop (its
lifespan connects its own Temporal client), so Hypothesis can drive it
synchronously; no worker is needed because every generated id is unknown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from loyalty.api import create_app
from loyalty.api.auth import Role, mint_token
from loyalty.api.paging import KEYSET_CURSOR_PATTERN
from loyalty.config import Settings
from loyalty.webhooks.models import WebhookSubscription
from tests.support import temporal as harness
from tests.support.dns import FakeDns


@pytest.fixture(scope="module")
def app_settings(temporal_env: WorkflowEnvironment, database_url: str) -> Settings:
    return harness.test_settings(
        database_url=database_url,
        partner_url="http://127.0.0.1:9",
        temporal_address=temporal_env.client.service_client.config.target_host,
        task_queue="schemathesis-no-worker",
        rate_limit="1000000/minute",
        **harness.RELAXED_FRAUD,
    )


@pytest.fixture(scope="module")
def server_url(
    app_settings: Settings, sessions: sessionmaker[Session], seeded_catalog: None
) -> Iterator[str]:
    # Generated webhook hosts resolve through a stand-in DNS: no lookup leaves the machine.
    app = create_app(app_settings, sessions=sessions, resolver=FakeDns())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    # Subscriptions are global: the fuzzer's must not receive later tests' events.
    with sessions.begin() as session:
        session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.created_by == "fuzzer")
            .values(active=False)
        )


MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
OPERATOR_PATHS = (
    "/v1/webhooks",
    "/v1/promotions",
    "/v1/audit-log",
    "/v1/decision-log",
    "/v1/queues/needs-attention",
)
OPERATOR_SUFFIXES = ("/retry-compensations", "/resolve", "/tier-review")


def _operators_only(path: str) -> bool:
    """Routes a support agent is refused (403) on: fuzz them as an operator instead."""
    return path.startswith(OPERATOR_PATHS) or path.endswith(OPERATOR_SUFFIXES)


def _check_operation(
    operation: APIOperation, mode: GenerationMode, headers: dict[str, str]
) -> str | None:
    """Run Hypothesis over one operation; the failure text, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        # A query value of None or [] is dropped by the HTTP client, so the request sent
        # is a valid one and the server rightly accepts it: not a negative case at all.
        assume(all(value not in (None, []) for value in (case.query or {}).values()))
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    # Only https (or local http outside production) is accepted: a rule the schema's
    # URL pattern cannot state, so valid-looking http URLs are rightly refused there.
    # Likewise a purchase in another currency than the deployment's LOYALTY_PROGRAM_CURRENCY.
    # And an export's end before its start: a rule across two parameters no schema states.
    # A queue's cursor carries a checksum a pattern cannot state either.
    refused_by_settings = operation.path in ("/v1/webhooks", "/v1/members/{member_id}/accruals")
    refused_by_settings |= operation.path.endswith("/export")
    refused_by_settings |= operation.path.startswith("/v1/queues/")
    # So does a keyset cursor (an encoded sort key): its pattern states the alphabet only.
    refused_by_settings |= any(
        p.name == "cursor"
        and p.definition.get("schema", {}).get("anyOf", [{}])[0].get("pattern")
        == KEYSET_CURSOR_PATTERN
        for p in operation.iter_parameters()
    )
    # A promotion's window (ends_at after starts_at) and a discount's whole percent are
    # rules across fields no schema states either.
    refused_by_settings |= (
        operation.path.startswith("/v1/promotions") and operation.method.upper() == "POST"
    )
    excluded = [positive_data_acceptance] if refused_by_settings else []
    try:
        run()
    except Unsatisfiable:
        return None  # nothing to vary (no parameters): no negative cases exist
    except (
        Exception,
        BaseExceptionGroup,
    ) as failure:  # collect every operation's failure, then report them all
        return f"{operation.label} [{mode.value}]: {failure}"
    return None


def test_no_server_errors_and_responses_match_the_schema(
    server_url: str, app_settings: Settings
) -> None:
    schema = schemathesis.openapi.from_url(f"{server_url}/openapi.json")
    failures = []
    # Enrolment last: a member it creates would send later operations to Temporal (no worker).
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: op.method.upper() == "POST" and op.path == "/v1/members",
    )
    for operation in operations:
        operators = _operators_only(operation.path) or operation.path.endswith("/export")
        role = Role.OPERATOR if operators else Role.SUPPORT_AGENT
        if "/accruals" in operation.path:
            role = Role.INTEGRATION
        token = mint_token(app_settings, role=role, subject="fuzzer")
        for mode in MODES:
            failure = _check_operation(operation, mode, {"Authorization": f"Bearer {token}"})
            if failure:
                failures.append(failure)
    assert len(operations) == 55
    assert not failures, "\n\n".join(failures)

"""Every logger renders through structlog as JSON, with ids and without secrets or codes."""

from __future__ import annotations

import logging

import structlog

from loyalty.config import Settings
from loyalty.logging import REDACTED, redact
from loyalty.observability import secret_values
from tests.support.logs import captured_json_logs

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC03In0.c2lnbmF0dXJlLXZhbHVl"


def test_stdlib_and_structlog_loggers_share_one_json_pipeline() -> None:
    with captured_json_logs() as logs:
        structlog.get_logger("loyalty.test").info("ours", member_id="M-1")
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
        logging.getLogger("temporalio.worker._workflow").warning(
            "Workflow task failed",
            extra={"temporal_workflow": {"workflow_id": "redemption-r1", "run_id": "run-1"}},
        )
        logging.getLogger("temporalio.activity").info(
            "attempt",
            extra={
                "temporal_activity": {
                    "workflow_id": "redemption-r1",
                    "workflow_run_id": "run-1",
                    "activity_type": "ReservePoints",
                }
            },
        )
        logging.getLogger("sqlalchemy.pool").warning("connection invalidated")
        logging.getLogger("httpx").info("HTTP Request: GET https://hooks.example/x?key=1")

    lines = logs.lines()
    by_logger = {line["logger"]: line for line in lines}
    assert set(by_logger) == {
        "loyalty.test",
        "uvicorn.error",
        "temporalio.worker._workflow",
        "temporalio.activity",
        "sqlalchemy.pool",
    }, "httpx's request lines stay below the level they would leak URLs at"
    assert by_logger["uvicorn.error"]["event"] == "Started server process [42]"
    assert by_logger["loyalty.test"]["member_id"] == "M-1"
    workflow = by_logger["temporalio.worker._workflow"]
    assert (workflow["workflow_id"], workflow["run_id"]) == ("redemption-r1", "run-1")
    assert by_logger["temporalio.activity"]["activity"] == "ReservePoints"
    assert all({"timestamp", "level", "event"} <= set(line) for line in lines)


def test_secrets_personal_data_and_voucher_codes_never_reach_a_line() -> None:
    settings = Settings(
        DATABASE_URL="postgresql+psycopg://loyalty_app:db-pass-9f3k@db:5432/loyalty",
        jwt_secret="jwt-secret-for-this-test-0123456789",
        webhook_secret="webhook-secret-for-this-test-0123456789",
    )
    secrets = tuple(secret_values(settings))
    with captured_json_logs(secrets=secrets) as logs:
        log = structlog.get_logger("loyalty.test")
        log.info("voucher_issued", voucher_id="V-1", code="7F3A9C21B0DE", voucher_code="AB12CD")
        log.info("member", member_id="M-1", email="a@b.example", name="Ada", notes="VIP")
        log.warning("auth", authorization=f"Bearer {JWT}", detail=f"header was Bearer {JWT}")
        log.error("db down", url=settings.database_url, jwt_secret=settings.jwt_secret)
        logging.getLogger("uvicorn.error").error(
            "signing with %s", "webhook-secret-for-this-test-0123456789"
        )
        logging.getLogger("temporalio").warning("payload %s", {"voucher_code": "AB12CD"})
        completion = '{"voucher_id":"V-2","code":"Z9Y8X7W6"}'
        logging.getLogger("temporalio.worker").warning("completed with data: %r", completion)

    text = logs.text
    for leaked in (
        *secrets,
        "7F3A9C21B0DE",
        "AB12CD",
        "Z9Y8X7W6",
        "a@b.example",
        "Ada",
        "VIP",
        JWT,
    ):
        assert leaked not in text, f"{leaked!r} reached the logs"
    lines = logs.lines()
    assert lines[0]["voucher_id"] == "V-1" and lines[1]["member_id"] == "M-1"
    assert lines[3]["url"] == f"postgresql+psycopg://loyalty_app:{REDACTED}@db:5432/loyalty"
    assert len(lines) == 7 and "V-2" in lines[6]["event"]


def test_redact_masks_nested_keys_and_keeps_ids() -> None:
    event = {"event": "x", "state": {"member_id": "M-1", "voucher_code": "C0DE", "steps": []}}
    assert redact(event) == {
        "event": "x",
        "state": {"member_id": "M-1", "voucher_code": REDACTED, "steps": []},
    }

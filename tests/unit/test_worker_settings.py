"""The worker's slots, pollers and sticky cache are settings: read, checked, named when refused.

Defaults are the SDK's own (and 32 activities, the thread pool the worker always had), so a
deployment that sets nothing runs as before; a bad value stops ``loyalty`` at start-up with
the variable's name and the reason, not deep inside the SDK once the worker starts.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

from loyalty.config import Settings, explain
from loyalty.worker import tuning

LOYALTY = Path(sys.executable).parent / "loyalty"


def test_by_default_the_worker_runs_with_the_sdks_defaults_and_32_activities() -> None:
    sdk = inspect.signature(Worker).parameters

    options = tuning(Settings())

    assert options["max_cached_workflows"] == sdk["max_cached_workflows"].default
    assert options["workflow_task_poller_behavior"] == sdk["workflow_task_poller_behavior"].default
    assert options["activity_task_poller_behavior"] == sdk["activity_task_poller_behavior"].default
    assert options["max_concurrent_workflow_tasks"] == 100  # the SDK's fixed-size default
    assert options["max_concurrent_activities"] == 32


def test_each_is_read_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "LOYALTY_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS": "7",
        "LOYALTY_WORKER_MAX_CONCURRENT_ACTIVITIES": "9",
        "LOYALTY_WORKER_WORKFLOW_TASK_POLLERS": "2",
        "LOYALTY_WORKER_ACTIVITY_TASK_POLLERS": "3",
        "LOYALTY_WORKER_MAX_CACHED_WORKFLOWS": "0",
    }.items():
        monkeypatch.setenv(name, value)

    assert tuning(Settings()) == {
        "max_concurrent_workflow_tasks": 7,
        "max_concurrent_activities": 9,
        "workflow_task_poller_behavior": PollerBehaviorSimpleMaximum(2),
        "activity_task_poller_behavior": PollerBehaviorSimpleMaximum(3),
        "max_cached_workflows": 0,
    }


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("LOYALTY_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", "0", "greater than or equal to 1"),
        ("LOYALTY_WORKER_MAX_CONCURRENT_ACTIVITIES", "many", "valid integer"),
        ("LOYALTY_WORKER_WORKFLOW_TASK_POLLERS", "0", "greater than or equal to 1"),
        ("LOYALTY_WORKER_ACTIVITY_TASK_POLLERS", "-2", "greater than or equal to 1"),
        ("LOYALTY_WORKER_MAX_CACHED_WORKFLOWS", "-1", "greater than or equal to 0"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable_and_why(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError) as refused:
        Settings()

    assert explain(refused.value).startswith(f"{variable}: ")
    assert reason in explain(refused.value)


def test_one_workflow_poller_is_refused_while_the_sticky_cache_is_on() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(worker_workflow_task_pollers=1)

    assert "LOYALTY_WORKER_WORKFLOW_TASK_POLLERS must be at least 2" in explain(refused.value)
    assert "LOYALTY_WORKER_MAX_CACHED_WORKFLOWS" in explain(refused.value)
    assert Settings(worker_workflow_task_pollers=1, worker_max_cached_workflows=0)


def test_the_worker_refuses_to_start_with_a_bad_value() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
    env["LOYALTY_WORKER_ACTIVITY_TASK_POLLERS"] = "0"
    env["LOYALTY_TEMPORAL_ADDRESS"] = "127.0.0.1:1"  # nothing to serve, were it not refused

    done = subprocess.run(
        [str(LOYALTY), "worker"], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2
    assert "LOYALTY_WORKER_ACTIVITY_TASK_POLLERS: Input should be greater than or equal to 1" in (
        done.stderr
    )

"""Determinism guard: recorded histories must replay against today's workflow code.

A change that reorders or renames commands in a workflow breaks replay of the
runs already in flight in production; this test catches it in CI. After an
intended, versioned change, record new histories with
``.venv/bin/pytest tests/replay/record_histories.py``.

``before_<patch>_patch_*`` were recorded just before that patch of the
Redemption workflow (``decide-redemption``: four check activities instead of
one; ``safe-cancellation``: the old handling of cancels and failed
compensations; ``local-decide``: the decide step as a regular activity, copied from
the recordings in force just before it). ``durable_fanout_*`` were recorded on a branch with the
``durable-webhook-fanout`` patch (deliveries started as children) but not
``safe-cancellation``, and ``scoped_child_assisted_redemption`` with the
``scoped-child-redemption-id`` patch. All must replay: the older ones prove
each old branch is still there for runs that started on it. ``outcomes.RECORDED``
names one history per workflow type and outcome; every registered workflow type
has one. A recording whose commands depend on its workflow id (child ids are
derived from it) is replayed under its real id (``workflow_ids.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory

from loyalty.worker import WORKFLOWS, make_replayer
from tests.replay.outcomes import KEPT, RECORDED

HISTORIES = Path(__file__).parent / "histories"
# The real workflow id of recordings whose commands depend on it (e.g. child ids
# built from it); the others replay under their file name.
WORKFLOW_IDS: dict[str, str] = json.loads((Path(__file__).parent / "workflow_ids.json").read_text())


def recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


@pytest.mark.parametrize("path", recorded(), ids=lambda p: p.stem)
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(WORKFLOW_IDS.get(path.stem, path.stem), path.read_text())
    await make_replayer().replay_workflow(history)


def test_every_outcome_and_every_older_recording_is_there() -> None:
    assert {p.stem for p in recorded()} >= RECORDED | KEPT


def test_every_workflow_type_the_worker_runs_has_a_recorded_history() -> None:
    def workflow_type(path: Path) -> str:
        started = json.loads(path.read_text())["events"][0]
        name: str = started["workflowExecutionStartedEventAttributes"]["workflowType"]["name"]
        return name

    # the SDK keeps each class's definition behind this (private) accessor
    registered = {workflow._Definition.must_from_class(cls).name for cls in WORKFLOWS}
    assert registered <= {workflow_type(p) for p in recorded()}

"""Determinism guard: recorded histories must replay against today's workflow code.

A change that reorders or renames commands in a workflow breaks replay of the
runs already in flight in production; this test catches it in CI. After an
intended, versioned change, record new histories with
``.venv/bin/pytest tests/replay/record_histories.py``.

``before_decide_patch_*`` were recorded before the ``decide-redemption``
patch (four check activities); the others after it (one decision activity).
``happy_path``, ``compensated`` and ``review_approved`` predate the
``durable-webhook-fanout`` patch (best-effort notify activity);
``durable_fanout_*`` follow it (deliveries started as children), and
``scoped_child_assisted_redemption`` the ``scoped-child-redemption-id`` patch.
All must replay: the older prove each old branch is still there for runs that
started on it, the newer the new ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from loyalty.temporal_client import DATA_CONVERTER
from loyalty.worker import WORKFLOWS

HISTORIES = Path(__file__).parent / "histories"
# The real workflow id of recordings whose commands depend on it (e.g. child ids
# built from it); the others replay under their file name.
WORKFLOW_IDS: dict[str, str] = json.loads((Path(__file__).parent / "workflow_ids.json").read_text())


def recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


@pytest.mark.parametrize("path", recorded(), ids=lambda p: p.stem)
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(WORKFLOW_IDS.get(path.stem, path.stem), path.read_text())
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=DATA_CONVERTER)
    await replayer.replay_workflow(history)


def test_there_are_histories_to_replay() -> None:
    outcomes = {"happy_path", "compensated", "review_approved"}
    before_patch = {f"before_decide_patch_{name}" for name in outcomes}
    fanout = {f"durable_fanout_{name}" for name in (*outcomes, "refund")}
    expected = outcomes | before_patch | fanout | {"scoped_child_assisted_redemption"}
    assert {p.stem for p in recorded()} >= expected

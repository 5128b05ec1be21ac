"""Determinism guard: recorded histories must replay against today's workflow code.

A change that reorders or renames commands in a workflow breaks replay of the
runs already in flight in production; this test catches it in CI. After an
intended, versioned change, record new histories with
``.venv/bin/pytest tests/replay/record_histories.py``.

``before_decide_patch_*`` were recorded before the ``decide-redemption``
patch (four check activities); the others after it (one decision activity).
Both must replay: the first prove the old branch is still there for runs
that started on it, the second the new one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from loyalty.temporal_client import DATA_CONVERTER
from loyalty.worker import WORKFLOWS

HISTORIES = Path(__file__).parent / "histories"


def recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


@pytest.mark.parametrize("path", recorded(), ids=lambda p: p.stem)
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=DATA_CONVERTER)
    await replayer.replay_workflow(history)


def test_there_are_histories_to_replay() -> None:
    outcomes = {"happy_path", "compensated", "review_approved"}
    before_patch = {f"before_decide_patch_{name}" for name in outcomes}
    assert {p.stem for p in recorded()} >= outcomes | before_patch

"""Determinism guard: recorded histories must replay against today's workflow code.

A change that reorders or renames commands in a workflow breaks replay of the
runs already in flight in production; this test catches it in CI. After an
intended, versioned change, record new histories with
``.venv/bin/pytest tests/replay/record_histories.py``.

``before_<patch>_patch_*`` were recorded before that patch of the Redemption
workflow (``decide-redemption``: four check activities instead of one;
``safe-cancellation``: the old handling of cancels and failed compensations);
the others with today's code. All must replay: the older ones prove each old
branch is still there for runs that started on it.
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
    before_patches = {
        f"before_{patch}_patch_{name}"
        for patch in ("decide", "safe_cancellation")
        for name in outcomes
    }
    assert {p.stem for p in recorded()} >= outcomes | before_patches | {"cancelled_during_hold"}

"""A local activity may end its workflow task or not: replay must not care where.

Whether the task in which a local activity ran completes right after it (its
marker alone) or goes on to the next commands depends on timing: a slow
write, a query, a worker killed at that moment. ``make faults`` found runs
whose first task ended right after the first local record; on replay the saga
asked ``patched("decide-redemption")`` before the task holding that marker and
failed with a nondeterminism error. Each recording of the local-record path
is replayed here with a workflow task boundary moved after each of its local
activities in turn, as such a run's history has it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHistory

from loyalty.worker import make_replayer
from tests.replay.test_replay import HISTORIES, WORKFLOW_IDS

LOCAL_ACTIVITY_MARKER = "core_local_activity"
TASK_EVENTS = ("SCHEDULED", "STARTED", "COMPLETED")


def _is(event: dict[str, Any], kind: str) -> bool:
    return bool(event["eventType"] == f"EVENT_TYPE_{kind}")


def _local_activity_markers(events: list[dict[str, Any]]) -> list[int]:
    return [
        i
        for i, event in enumerate(events)
        if _is(event, "MARKER_RECORDED")
        and event["markerRecordedEventAttributes"]["markerName"] == LOCAL_ACTIVITY_MARKER
    ]


def _shift_ids(node: Any, after: int, by: int) -> Any:
    """Every ``...EventId`` reference (and ``eventId``) past ``after`` moved by ``by``."""
    if isinstance(node, dict):
        return {
            key: str(int(value) + by)
            if key.lower().endswith("eventid") and isinstance(value, str) and int(value) > after
            else _shift_ids(value, after, by)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_shift_ids(item, after, by) for item in node]
    return node


def with_task_boundary_after(events: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """``events`` with the workflow task that recorded ``events[index]`` ended right after it.

    The commands that followed in that task move into a new task (scheduled,
    started and completed at once), as when the worker completed the first task
    as soon as the local activity's result was in.
    """
    marker_id = int(events[index]["eventId"])
    completed_id = events[index]["markerRecordedEventAttributes"]["workflowTaskCompletedEventId"]
    template = {kind: _first_task_event(events, kind) for kind in TASK_EVENTS}
    head = events[: index + 1]
    tail = [_shift_ids(event, marker_id, len(TASK_EVENTS)) for event in events[index + 1 :]]
    new_ids = [str(marker_id + n) for n in (1, 2, 3)]
    inserted = []
    for kind, new_id in zip(TASK_EVENTS, new_ids, strict=True):
        event = copy.deepcopy(template[kind])
        event["eventId"] = new_id
        attributes = event[f"workflowTask{kind.capitalize()}EventAttributes"]
        if kind != "SCHEDULED":
            attributes["scheduledEventId"] = new_ids[0]
        if kind == "COMPLETED":
            attributes["startedEventId"] = new_ids[1]
        inserted.append(event)
    for event in tail:  # the commands of the task that ended now belong to the new one
        if _is(event, "WORKFLOW_TASK_SCHEDULED"):
            break
        for key, attributes in event.items():
            if (
                key.endswith("Attributes")
                and isinstance(attributes, dict)
                and attributes.get("workflowTaskCompletedEventId") == completed_id
            ):
                attributes["workflowTaskCompletedEventId"] = new_ids[2]
    return head + inserted + tail


def _first_task_event(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(e for e in events if _is(e, f"WORKFLOW_TASK_{kind}"))


def _local_record_recordings() -> list[Path]:
    return sorted(HISTORIES.glob("local_record_*.json"))


def _cases() -> list[tuple[Path, int]]:
    cases = []
    for path in _local_record_recordings():
        events = json.loads(path.read_text())["events"]
        cases += [(path, index) for index in _local_activity_markers(events)]
    return cases


def test_the_local_record_recordings_hold_local_activities() -> None:
    assert len(_local_record_recordings()) >= 6
    assert len(_cases()) >= 2 * len(_local_record_recordings())


@pytest.mark.parametrize(
    ("path", "index"), _cases(), ids=lambda v: v.stem if isinstance(v, Path) else str(v)
)
async def test_a_task_ending_after_a_local_activity_replays(path: Path, index: int) -> None:
    recorded = json.loads(path.read_text())
    moved = {**recorded, "events": with_task_boundary_after(recorded["events"], index)}
    assert len(moved["events"]) == len(recorded["events"]) + len(TASK_EVENTS)
    history = WorkflowHistory.from_json(WORKFLOW_IDS.get(path.stem, path.stem), moved)
    await make_replayer().replay_workflow(history)

"""Every patch the redemption saga asks after its first local activity is settled up front.

On the local-record path a later ``patched()`` call is answered in the run's first
workflow task (``_settle_later_patches``); one asked after a local activity and
missing from ``LATER_PATCHES`` would again depend on where a task ended
(tests/replay/test_task_boundaries.py shows the failure).
"""

from __future__ import annotations

import ast
import inspect

from loyalty.workflows import redemption

ASKED_BEFORE_ANY_LOCAL_ACTIVITY = {"SAFE_CANCELLATION_PATCH", "LOCAL_RECORD_PATCH"}


def _patches_asked_by_the_saga() -> set[str]:
    tree = ast.parse(inspect.getsource(redemption.RedemptionWorkflow))
    return {
        call.args[0].id
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "patched"
        and call.args
        and isinstance(call.args[0], ast.Name)
    }


def test_every_later_patch_of_the_saga_is_settled_in_its_first_task() -> None:
    asked = _patches_asked_by_the_saga()
    assert asked >= ASKED_BEFORE_ANY_LOCAL_ACTIVITY
    later = {getattr(redemption, name) for name in asked - ASKED_BEFORE_ANY_LOCAL_ACTIVITY}
    assert later == set(redemption.LATER_PATCHES)

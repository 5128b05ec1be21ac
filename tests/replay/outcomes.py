"""The outcomes record_histories.py records and test_replay.py insists on, one name each."""

from __future__ import annotations

RECORDED = frozenset(
    {
        "redemption_completed",
        "redemption_rejected",
        "redemption_compensated",
        "redemption_cancelled",
        "redemption_cancelled_during_hold",
        "redemption_review_approved",
        "redemption_review_rejected",
        "refund_completed",
        "assisted_auto_executed",
        "assisted_approved",
        "assisted_rejected",
        "proposal",
        "ingestion",
        "webhook_delivery",
        "points_expiry",
        "reconciliation_completed",
        "reconciliation_failed",
        "hold_sweep",
    }
)
# Recorded by earlier versions of the code; kept to prove their paths still replay.
# before_<patch>_patch_*: recorded just before that workflow.patched change.
_FIRST = ("happy_path", "compensated", "review_approved")
KEPT = frozenset(
    set(_FIRST)
    | {f"durable_fanout_{name}" for name in (*_FIRST, "refund")}
    | {"scoped_child_assisted_redemption"}
    | {
        f"before_{patch}_patch_{name}"
        for patch in ("decide", "safe_cancellation", "local_decide")
        for name in _FIRST
    }
)

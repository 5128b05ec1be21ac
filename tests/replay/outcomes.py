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
        "assisted_credit_refused",
        "proposal",
        "ingestion",
        "webhook_delivery",
        "points_expiry",
        "reconciliation_completed",
        "reconciliation_failed",
        "hold_sweep",
        "redemption_needs_attention",
        "assisted_approval_overdue",
        "accrual_cancelled",
        "accrual_available",
        "accrual_return_shortfall",
        "points_expiry_notices",
        "tier_review",
        "redemption_promo_code",
        "accrual_capped",
        # the redemption under the local-record-and-subscribers patch (issue 12)
        "local_record_completed",
        "local_record_rejected",
        "local_record_compensated",
        "local_record_review_approved",
        "local_record_cancelled_during_hold",
        "local_record_needs_attention",
    }
)
# Recorded by earlier versions of the code; kept to prove their paths still replay.
# before_<patch>_patch_*: recorded just before that workflow.patched change.
_FIRST = ("happy_path", "compensated", "review_approved")
KEPT = frozenset(
    set(_FIRST)
    | {f"durable_fanout_{name}" for name in (*_FIRST, "refund")}
    | {"scoped_child_assisted_redemption"}
    | {"before_tier_on_accrual_patch_accrual_available"}
    # A capped order's Accrual just before the accrual-capped-event patch (no announcement)
    | {"before_accrual_capped_event_patch_accrual_capped"}
    # ExpirePoints before the expiry-notices patch (a copy of the points_expiry recording)
    | {"before_expiry_notices_patch_points_expiry"}
    | {
        f"before_credit_refusal_patch_{name}"
        for name in ("assisted_auto_executed", "assisted_approved")
    }
    | {
        f"before_{patch}_patch_{name}"
        for patch in ("decide", "safe_cancellation", "local_decide", "local_record")
        for name in _FIRST
    }
)

"""Export the wire contracts (names and JSON payloads) as JSON Schema for other SDKs.

A .NET or Java client or worker reads ``docs/contracts/``: ``index.json`` names
every workflow, update, query and activity with its payload schemas; one file
per payload holds its JSON Schema. A test regenerates them and compares, so
the committed files never drift from the code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from loyalty.contracts import accrual as acc
from loyalty.contracts import assisted as awf
from loyalty.contracts import ingestion as ing
from loyalty.contracts import maintenance as job
from loyalty.contracts import members as mem
from loyalty.contracts import redemption as wf
from loyalty.contracts import webhooks as hook

WORKFLOWS: dict[str, dict[str, Any]] = {
    wf.REDEMPTION_WORKFLOW: {
        "id": "redemption-<member|staff|system>~<member_id>~<request_id>",
        "input": wf.RedemptionRequest,
        "result": wf.RedemptionState,
        "queries": {wf.QUERY_STATE: wf.RedemptionState},
        "updates": {
            wf.UPDATE_APPROVE: (wf.ReviewDecision, wf.UpdateResult),
            wf.UPDATE_REJECT: (wf.ReviewDecision, wf.UpdateResult),
            wf.UPDATE_CANCEL: (wf.CancelRequest, wf.UpdateResult),
            wf.UPDATE_RETRY_COMPENSATIONS: (wf.OperatorAction, wf.UpdateResult),
            wf.UPDATE_RESOLVE: (wf.OperatorAction, wf.UpdateResult),
        },
    },
    wf.REFUND_WORKFLOW: {
        "id": "refund-system~<redemption_id>~<request_id>",
        "input": wf.RefundRequest,
        "result": wf.RefundResult,
        "queries": {wf.QUERY_STATE: wf.RefundState},
        "updates": {
            wf.UPDATE_APPROVE: (wf.OperatorAction, wf.RefundUpdateResult),
            wf.UPDATE_REJECT: (wf.OperatorAction, wf.RefundUpdateResult),
        },
    },
    awf.ASSISTED_WORKFLOW: {
        "id": "assisted-<request_id>",
        "input": awf.AssistedRequest,
        "result": awf.AssistedState,
        "queries": {awf.QUERY_STATE: awf.AssistedState},
        "updates": {
            awf.UPDATE_APPROVE: (wf.ReviewDecision, awf.AssistedUpdateResult),
            awf.UPDATE_REJECT: (wf.ReviewDecision, awf.AssistedUpdateResult),
            awf.UPDATE_EDIT: (awf.EditDecision, awf.AssistedUpdateResult),
        },
    },
    awf.PROPOSAL_WORKFLOW: {
        "id": "proposal-<request_id>",
        "input": awf.ProposalCase,
        "result": awf.ProposalResult,
        "queries": {},
        "updates": {},
    },
    ing.INGEST_WORKFLOW: {
        "id": ing.INGEST_WORKFLOW_ID,
        "input": ing.IngestRequest,
        "result": ing.IngestionState,
        "queries": {ing.QUERY_STATE: ing.IngestionState},
        "updates": {},
    },
    job.EXPIRE_POINTS_WORKFLOW: {
        "id": "loyalty-points-expiry-<time> (started by its schedule)",
        "input": job.ExpiryRequest,
        "result": job.ExpirySummary,
        "queries": {},
        "updates": {},
    },
    job.RECONCILE_WORKFLOW: {
        "id": "loyalty-ledger-reconciliation-<time> (started by its schedule)",
        "input": job.ReconcileRequest,
        "result": job.ReconciliationReport,
        "queries": {},
        "updates": {},
    },
    acc.ACCRUAL_WORKFLOW: {
        "id": "accrual-integration~<source>~<member_id>~<order_id>",
        "input": acc.AccrualRequest,
        "result": acc.AccrualState,
        "queries": {wf.QUERY_STATE: acc.AccrualState},
        "updates": {
            acc.UPDATE_RECORDED: (acc.AwaitRecorded, acc.AccrualState),
            acc.UPDATE_RETURN: (acc.ReturnPurchase, acc.ReturnOutcome),
        },
    },
    acc.ACCRUAL_RETURN_WORKFLOW: {
        "id": "accrual-return~<accrual_id>~<return_id>",
        "input": acc.AccrualReturnRequest,
        "result": acc.ReturnOutcome,
        "queries": {},
        "updates": {},
    },
    mem.REVIEW_TIERS_WORKFLOW: {
        "id": "loyalty-tier-review-<time> (its schedule) or tier-review~<member_id>~<request id>",
        "input": mem.TierReviewRequest,
        "result": mem.TierReviewReport,
        "queries": {},
        "updates": {},
    },
    hook.WEBHOOK_DELIVERY_WORKFLOW: {
        "id": "webhook-<event_id>-<subscription_id>",
        "input": hook.WebhookDelivery,
        "result": hook.DeliveryResult,
        "queries": {},
        "updates": {},
    },
}

ACTIVITIES: dict[str, tuple[type[BaseModel], type[BaseModel] | None]] = {
    wf.DECIDE_REDEMPTION: (wf.RedemptionRequest, wf.RedemptionDecision),
    wf.CHECK_BALANCE: (wf.MemberRef, wf.BalanceSnapshot),
    wf.CHECK_ELIGIBILITY: (wf.RedemptionCheck, wf.EligibilityVerdict),
    wf.ASSESS_FRAUD: (wf.RedemptionCheck, wf.FraudVerdict),
    wf.PRICE_OFFER: (wf.RedemptionCheck, wf.OfferPrice),
    wf.RESERVE_POINTS: (wf.ReservePoints, wf.PointsMoved),
    wf.RELEASE_POINTS: (wf.HoldRef, wf.PointsMoved),
    wf.CAPTURE_POINTS: (wf.HoldRef, wf.PointsMoved),
    wf.REVERSE_CAPTURE: (wf.ReverseCapture, wf.PointsMoved),
    wf.FULFILL_REWARD: (wf.FulfillReward, wf.Fulfillment),
    wf.VOID_FULFILLMENT: (wf.VoidFulfillment, wf.VoidOutcome),
    wf.RECORD_REDEMPTION: (wf.RecordRedemption, None),
    wf.NOTIFY_REDEMPTION: (wf.NotifyRedemption, None),
    wf.PREPARE_REFUND: (wf.PrepareRefund, wf.RefundPlan),
    wf.VOID_REFUNDED_UNITS: (wf.VoidUnits, wf.VoidOutcome),
    wf.REFUND_POINTS: (wf.RefundPoints, wf.RefundRecorded),
    awf.PROPOSE_REWARD: (awf.ProposeReward, awf.ProposalOutcome),
    awf.RECORD_DECISION: (awf.RecordDecision, awf.DecisionRecorded),
    awf.GRANT_GOODWILL_CREDIT: (awf.GrantGoodwillCredit, awf.CreditGranted),
    ing.INGEST_POLICIES: (ing.IngestPolicies, ing.IngestionSummary),
    job.EXPIRE_POINTS: (job.ExpireDue, job.ExpirySummary),
    job.RECORD_EXPIRY_NOTICES: (job.NoticesDue, job.ExpiryNotices),
    job.RECONCILE_LEDGER: (job.ReconcileRequest, job.ReconciliationReport),
    acc.RECORD_PENDING_ACCRUAL: (acc.RecordPendingAccrual, acc.AccrualRecord),
    acc.SETTLE_ACCRUAL: (acc.SettleAccrual, acc.AccrualRecord),
    acc.TAKE_BACK_ACCRUAL: (acc.TakeBack, acc.ReturnOutcome),
    mem.REVIEW_MEMBER_TIERS: (mem.TierReviewPage, mem.TierReviewPageResult),
    hook.DELIVER_WEBHOOK: (hook.WebhookDelivery, hook.DeliveryResult),
    hook.RECORD_WEBHOOK_FAILURE: (hook.WebhookDelivery, None),
    hook.PUBLISH_EVENT: (hook.WebhookEvent, hook.PublishResult),
    hook.LIST_WEBHOOK_SUBSCRIBERS: (hook.SubscriberQuery, hook.Subscribers),
}


def _name(model: type[BaseModel] | None) -> str | None:
    return model.__name__ if model else None


def render() -> dict[str, str]:
    """File name → JSON text, for every contract file."""
    models: set[type[BaseModel]] = set()
    index: dict[str, Any] = {"workflows": {}, "activities": {}}
    for name, spec in WORKFLOWS.items():
        models |= {spec["input"], spec["result"], *spec["queries"].values()}
        models |= {m for pair in spec["updates"].values() for m in pair}
        index["workflows"][name] = {
            "workflow_id": spec["id"],
            "input": _name(spec["input"]),
            "result": _name(spec["result"]),
            "queries": {q: _name(m) for q, m in spec["queries"].items()},
            "updates": {
                u: {"input": _name(i), "result": _name(r)} for u, (i, r) in spec["updates"].items()
            },
        }
    for name, (argument, result) in ACTIVITIES.items():
        models |= {argument} | ({result} if result else set())
        index["activities"][name] = {"input": _name(argument), "result": _name(result)}
    files = {"index.json": index}
    files |= {f"{model.__name__}.json": model.model_json_schema() for model in models}
    return {name: json.dumps(body, indent=2, sort_keys=True) + "\n" for name, body in files.items()}


def export(directory: Path) -> list[Path]:
    """Write every contract file into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(render().items()):
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written

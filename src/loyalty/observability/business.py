"""The business series, derived from what activities did (never from workflow code).

Each observer reads an activity's typed input and result (the wire contracts)
and adds to a counter on the activity's metric meter, which Temporal's runtime
exports with the SDK's own series (``worker_telemetry``). Counting happens
only after an activity succeeded, so a retried attempt that failed counts
once, as an error; a run that an operator resets may count twice, which a
rate alert tolerates.

Series (Prometheus names; counters end in ``_total``):

- ``loyalty_redemptions_started_total{channel}``: the saga's first record.
- ``loyalty_redemptions_finished_total{outcome}``: its final record
  (completed, rejected, failed, cancelled).
- ``loyalty_compensations_total{step,result}``: release / void / reverse in a
  saga's unwind; ``applied``, ``noop`` (nothing to undo) or ``failed`` (an
  attempt failed; Temporal retries it unless the failure was final).
- ``loyalty_webhook_deliveries_total{result}``: ``delivered``, ``skipped``
  (subscription gone), ``error`` (an attempt failed, retried) or ``gave_up``.
- ``loyalty_guardrail_verdicts_total{outcome,purpose}``: accept, clamp,
  needs_approval, reject.
- ``loyalty_alerts_total{kind}``: ``needs_attention`` (a saga parked for an
  operator) and ``approval_overdue`` (an assisted case waited past
  POL-APPROVAL-001's approval time), counted when the alert's fan-out found
  its subscribers (``ListWebhookSubscribers``), which the workflow does once
  per saga or case, subscribers or none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from temporalio import activity
from temporalio.common import MetricMeter

from loyalty.contracts.assisted import PROPOSE_REWARD, ProposalOutcome, ProposeReward
from loyalty.contracts.redemption import (
    RECORD_REDEMPTION,
    REDEMPTION_WORKFLOW,
    RELEASE_POINTS,
    REVERSE_CAPTURE,
    VOID_FULFILLMENT,
    PointsMoved,
    RecordRedemption,
    RedemptionStatus,
    VoidOutcome,
)
from loyalty.contracts.webhooks import (
    DELIVER_WEBHOOK,
    LIST_WEBHOOK_SUBSCRIBERS,
    RECORD_WEBHOOK_FAILURE,
    DeliveryResult,
    EventType,
    SubscriberQuery,
)

REDEMPTIONS_STARTED = "loyalty_redemptions_started"
REDEMPTIONS_FINISHED = "loyalty_redemptions_finished"
COMPENSATIONS = "loyalty_compensations"
WEBHOOK_DELIVERIES = "loyalty_webhook_deliveries"
GUARDRAIL_VERDICTS = "loyalty_guardrail_verdicts"
ALERTS = "loyalty_alerts"
ALERT_KINDS = {
    EventType.NEEDS_ATTENTION: "needs_attention",
    EventType.APPROVAL_OVERDUE: "approval_overdue",
}
STEP_DURATION = "loyalty_step_duration_seconds"
COMPENSATION_STEPS = {
    RELEASE_POINTS: "release_points",
    VOID_FULFILLMENT: "void_fulfillment",
    REVERSE_CAPTURE: "reverse_capture",
}

Observer = Callable[[MetricMeter, activity.Info, Sequence[Any], Any], None]


def count(meter: MetricMeter, name: str, description: str, **labels: str) -> None:
    meter.create_counter(name, description).add(1, labels)


def _recorded(meter: MetricMeter, _: activity.Info, args: Sequence[Any], __: Any) -> None:
    state = args[0].state if args and isinstance(args[0], RecordRedemption) else None
    if state is None:
        return
    if state.status == RedemptionStatus.RUNNING and not state.steps:
        count(meter, REDEMPTIONS_STARTED, "Redemption sagas started", channel=state.channel)
    elif state.status.is_final:
        count(meter, REDEMPTIONS_FINISHED, "Redemption sagas finished", outcome=state.status.value)


def _compensated(meter: MetricMeter, info: activity.Info, _: Sequence[Any], result: Any) -> None:
    if info.workflow_type != REDEMPTION_WORKFLOW:
        return  # the same activities serve refunds; only a saga's unwind is a compensation
    noop = (isinstance(result, PointsMoved) and not result.applied) or (
        isinstance(result, VoidOutcome) and result.status == "not_found"
    )
    compensation(meter, info, "noop" if noop else "applied")


def compensation(meter: MetricMeter, info: activity.Info, result: str) -> None:
    count(
        meter,
        COMPENSATIONS,
        "Saga compensation attempts by step and result",
        step=COMPENSATION_STEPS[info.activity_type],
        result=result,
    )


def webhook(meter: MetricMeter, result: str) -> None:
    count(meter, WEBHOOK_DELIVERIES, "Webhook delivery attempts by result", result=result)


def _delivered(meter: MetricMeter, _: activity.Info, __: Sequence[Any], result: Any) -> None:
    delivered = isinstance(result, DeliveryResult) and result.delivered
    webhook(meter, "delivered" if delivered else "skipped")


def _gave_up(meter: MetricMeter, _: activity.Info, __: Sequence[Any], ___: Any) -> None:
    webhook(meter, "gave_up")


def _verdict(meter: MetricMeter, _: activity.Info, args: Sequence[Any], result: Any) -> None:
    if not isinstance(result, ProposalOutcome):
        return
    purpose = args[0].purpose if args and isinstance(args[0], ProposeReward) else "unknown"
    count(
        meter,
        GUARDRAIL_VERDICTS,
        "Guardrail verdicts on agent proposals",
        outcome=result.verdict.outcome,
        purpose=purpose,
    )


def _alerted(meter: MetricMeter, _: activity.Info, args: Sequence[Any], __: Any) -> None:
    query = args[0] if args and isinstance(args[0], SubscriberQuery) else None
    kind = ALERT_KINDS.get(query.event_type) if query else None
    if kind is not None:
        count(meter, ALERTS, "Alerts raised for operators, by kind", kind=kind)


ON_SUCCESS: dict[str, Observer] = {
    RECORD_REDEMPTION: _recorded,
    **dict.fromkeys(COMPENSATION_STEPS, _compensated),
    DELIVER_WEBHOOK: _delivered,
    RECORD_WEBHOOK_FAILURE: _gave_up,
    PROPOSE_REWARD: _verdict,
    LIST_WEBHOOK_SUBSCRIBERS: _alerted,
}


def on_success(meter: MetricMeter, info: activity.Info, args: Sequence[Any], result: Any) -> None:
    """Count what a successful activity means for the business, if anything."""
    observer = ON_SUCCESS.get(info.activity_type)
    if observer is not None:
        observer(meter, info, args, result)


def on_failure(meter: MetricMeter, info: activity.Info) -> None:
    """Count a failed attempt where operators watch failures: compensations and webhooks."""
    if info.activity_type in COMPENSATION_STEPS and info.workflow_type == REDEMPTION_WORKFLOW:
        compensation(meter, info, "failed")
    elif info.activity_type == DELIVER_WEBHOOK:
        webhook(meter, "error")

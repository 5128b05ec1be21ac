"""After redemptions, the worker's Prometheus endpoint exposes the SDK's and the business series.

Real Temporal (dev server), PostgreSQL and partner simulator; the worker's
client runs on the runtime ``loyalty.observability`` builds for a metrics port.
"""

from __future__ import annotations

import datetime as dt

from loyalty.contracts import redemption as act
from loyalty.contracts.redemption import (
    UPDATE_REJECT,
    UPDATE_RESOLVE,
    OperatorAction,
    RedemptionStatus,
    ReviewDecision,
    UpdateResult,
)
from tests.conftest import MemberFactory
from tests.support.metrics import MeteredClient, Scrape, eventually_scraped
from tests.support.partner_simulator import PartnerSimulator
from tests.support.redemptions import redemption_request, wait_for_status
from tests.support.temporal import SagaHarness

Metered = tuple[SagaHarness, MeteredClient]


async def test_completed_and_failed_redemptions_show_as_business_series(
    metered: Metered, new_member: MemberFactory
) -> None:
    saga, endpoint = metered
    queue = {"task_queue": saga.task_queue}
    completed = await saga.redeem(redemption_request(new_member(points=5_000)))
    saga.faults.fail(act.FULFILL_REWARD)  # after the hold: the saga compensates
    failed = await saga.redeem(redemption_request(new_member(points=5_000)))
    assert completed.status == RedemptionStatus.COMPLETED
    assert failed.status == RedemptionStatus.FAILED

    def settled(s: Scrape) -> bool:
        return s.value("loyalty_redemptions_finished_total", **queue) == 2

    scraped = await eventually_scraped(endpoint.url, settled)

    assert scraped.value("loyalty_redemptions_started_total", channel="app", **queue) == 2
    for outcome in ("completed", "failed"):
        assert scraped.value("loyalty_redemptions_finished_total", outcome=outcome, **queue) == 1
    compensations = "loyalty_compensations_total"
    assert scraped.value(compensations, step="release_points", result="applied", **queue) == 1
    assert scraped.value(compensations, step="void_fulfillment", result="noop", **queue) == 1
    steps = "loyalty_step_duration_seconds_count"
    assert scraped.value(steps, activity_type=act.RESERVE_POINTS, result="ok", **queue) == 2
    assert scraped.value(steps, activity_type=act.FULFILL_REWARD, result="refused", **queue) == 1
    # and the SDK's own runtime series, from the same endpoint: 3 activity tasks for the
    # completed saga, 4 for the compensated one; records, decide and listing run locally
    assert scraped.value("temporal_activity_execution_latency_count", **queue) >= 7
    assert scraped.value("temporal_local_activity_execution_latency_count", **queue) >= 8
    # Only the sagas: other tests may leave subscriptions whose deliveries run here too.
    completed_sagas = scraped.value(
        "temporal_workflow_completed_total", workflow_type="Redemption", **queue
    )
    assert completed_sagas == 2


async def test_open_work_gauges_count_reviews_and_parked_sagas(
    metered: Metered, new_member: MemberFactory, partner_simulator: PartnerSimulator
) -> None:
    saga, endpoint = metered
    labels = {"task_queue": saga.task_queue, "workflow_type": act.REDEMPTION_WORKFLOW}
    today = dt.datetime.now(dt.UTC).date()
    review = await saga.start(
        redemption_request(
            new_member(points=5_000, joined_on=today), channel="web", device_id="device-new"
        )
    )
    await wait_for_status(review, RedemptionStatus.AWAITING_APPROVAL)
    saga.faults.fail(act.CAPTURE_POINTS)  # the voucher is issued, then capture fails ...
    partner_simulator.control(void={"fail_permanently": True})  # ... and so does its void
    parked = await saga.start(redemption_request(new_member(points=5_000)))
    await wait_for_status(parked, RedemptionStatus.NEEDS_ATTENTION)

    scraped = await eventually_scraped(
        endpoint.url,
        lambda s: (
            s.value("loyalty_sagas_needs_attention", **labels) == 1
            and s.value("loyalty_approvals_pending", **labels) == 1
        ),
    )
    queue = {"task_queue": saga.task_queue}
    compensations = "loyalty_compensations_total"
    assert scraped.value(compensations, step="void_fulfillment", result="failed", **queue) == 1
    # The unwind stops at the failed void: the hold stays until an operator decides.
    assert scraped.value(compensations, step="release_points", result="applied", **queue) == 0

    await review.execute_update(
        UPDATE_REJECT, ReviewDecision(agent_id="agent-1", reason="test"), result_type=UpdateResult
    )
    await parked.execute_update(
        UPDATE_RESOLVE,
        OperatorAction(operator_id="ops-1", reason="voided by hand"),
        result_type=UpdateResult,
    )
    await review.result()
    await parked.result()
    await eventually_scraped(
        endpoint.url,
        lambda s: (
            s.value("loyalty_sagas_needs_attention", **labels) == 0
            and s.value("loyalty_approvals_pending", **labels) == 0
        ),
    )

"""The in-process baseline: the saga's own activities called directly, without Temporal.

The same ledger, domain and partner work as a redemption: record the request,
decide (facts read once, the domain's decision), hold, issue the voucher at the
partner simulator over HTTP, capture, record the outcome. Only the workflow
engine is missing: no server round trips, no history, no task queues, no
durability. It runs against the stack's own database and simulator, in
``concurrency`` threads, with the activities bound as the worker binds them.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.testing import ActivityEnvironment

from bench.api_bench import Run
from bench.stack import DEVICE, GIFT, LocalStack
from loyalty.activities.checks import RedemptionChecks
from loyalty.activities.fulfillment import FulfillmentActivities
from loyalty.activities.points import PointsActivities
from loyalty.activities.records import RecordActivities
from loyalty.contracts import redemption as act
from loyalty.contracts.redemption import RedemptionStatus, Step, step_key
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from loyalty.policies.rules import RedemptionRulebook
from loyalty.worker import partner_client


@dataclasses.dataclass
class _Steps:
    checks: RedemptionChecks
    points: PointsActivities
    fulfillment: FulfillmentActivities
    records: RecordActivities


def _in(env: ActivityEnvironment, fn: Any, arg: Any) -> Any:
    return env.run(fn, arg)


def _saga(steps: _Steps, member: str) -> tuple[str, float]:
    request_id = f"base-{uuid.uuid4().hex[:12]}"
    rid = f"redemption-baseline~{member}~{request_id}"
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id=rid)
    start = time.perf_counter()
    request = act.RedemptionRequest(
        request_id=request_id, member_id=member, reward_id=GIFT, device_id=DEVICE, channel="app"
    )
    state = act.RedemptionState(
        redemption_id=rid,
        request_id=request_id,
        member_id=member,
        reward_id=GIFT,
        quantity=1,
        channel="app",
        device_id=DEVICE,
    )
    _in(env, steps.records.record_redemption, act.RecordRedemption(state=state))
    decision = _in(env, steps.checks.decide_redemption, request)
    if decision.outcome != "proceed" or decision.price is None:
        return decision.outcome, 0.0
    hold_key = step_key(rid, Step.RESERVE_POINTS)
    reserve = act.ReservePoints(
        member_id=member,
        points=decision.price.total,
        idempotency_key=hold_key,
        reference=rid,
        reward_id=GIFT,
        units=1,
        ceiling=decision.ceiling,
    )
    moved = _in(env, steps.points.reserve_points, reserve)
    fulfill = act.FulfillReward(
        idempotency_key=step_key(rid, Step.FULFILL_REWARD),
        member_id=member,
        reward_id=GIFT,
        quantity=1,
    )
    voucher = _in(env, steps.fulfillment.fulfill_reward, fulfill)
    capture = act.HoldRef(
        hold_key=hold_key, idempotency_key=step_key(rid, Step.CAPTURE_POINTS), reason=rid
    )
    _in(env, steps.points.capture_points, capture)
    state.status, state.points, state.hold_id = (
        RedemptionStatus.COMPLETED,
        decision.price.total,
        moved.hold_id,
    )
    state.voucher_id = voucher.voucher_id
    _in(env, steps.records.record_redemption, act.RecordRedemption(state=state))
    return "completed", (time.perf_counter() - start) * 1000


def run(stack: LocalStack, *, count: int, concurrency: int) -> Run:
    """``count`` baseline redemptions in ``concurrency`` threads."""
    settings = stack.settings.model_copy(
        update={"database_url": stack.stack.database_url, "partner_url": stack.stack.partner_url}
    )
    engine = make_engine(settings.database_url, pool_size=concurrency)
    sessions = make_session_factory(engine)
    rules = RedemptionRulebook(
        PolicyBook(settings.policies_dir), fraud_weights=settings.fraud_weights()
    ).rules
    result = Run("in-process baseline", concurrency)
    with partner_client(settings) as partner:
        steps = _Steps(
            checks=RedemptionChecks(sessions=sessions, rules=rules),
            points=PointsActivities(ledger=Ledger(sessions)),
            fulfillment=FulfillmentActivities(partner=partner, sessions=sessions),
            records=RecordActivities(sessions=sessions),
        )
        members = stack.members
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            done = list(pool.map(lambda n: _saga(steps, members[n % len(members)]), range(count)))
        result.seconds = time.perf_counter() - started
    for status, ms in done:
        result.outcomes[status] += 1
        if status == "completed":
            result.latencies_ms.append(ms)
    engine.dispose()
    return result

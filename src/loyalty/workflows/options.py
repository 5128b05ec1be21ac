"""Every activity timeout and retry policy of the sagas, stated once.

- checks: read-only, cheap; retry quickly for about two minutes.
- ledger: side effects in PostgreSQL, idempotent by key; retry for about ten minutes.
- partner: the client retries inside one attempt (attempts x (connect + read) + backoff),
  so the start-to-close timeout covers that, and Temporal retries the whole call
  with a slower backoff while the breaker recovers.
- compensation: must eventually succeed; it retries with a slow backoff for
  hours (the request's ``compensation_timeout_s``) before the saga names it and
  waits for an operator.
- best effort: record and notify; a few tries, then move on.
- propose: a chat model may take a while and fail transiently; a few slow retries
  (a retry after the proposal was logged returns the logged one).
- sweep: the hold sweeper examines up to hundreds of holds in one activity and
  heartbeats after each; a schedule starts the next run anyway.
- ingest: embedding the corpus takes seconds to minutes; the activity heartbeats
  after each policy, so a dead worker is noticed within the heartbeat timeout.
Business refusals are non-retryable application errors, so none of these
policies ever retries a "no".

Every step of the saga waits for its cancellation to complete
(``WAIT_CANCELLATION_COMPLETED``): a cancel never lets the saga run ahead of a
write that is still landing, so a compensation always sees what it undoes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType


@dataclass(frozen=True)
class StepOptions:
    start_to_close: timedelta
    retry: RetryPolicy
    heartbeat: timedelta | None = None
    schedule_to_close: timedelta | None = None

    def kwargs(self, *, wait_for_cancellation: bool = False) -> dict[str, Any]:
        options: dict[str, Any] = {
            "start_to_close_timeout": self.start_to_close,
            "retry_policy": self.retry,
        }
        if self.heartbeat is not None:
            options["heartbeat_timeout"] = self.heartbeat
        if self.schedule_to_close is not None:
            options["schedule_to_close_timeout"] = self.schedule_to_close
        if wait_for_cancellation:
            options["cancellation_type"] = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
        return options

    def within(self, budget: timedelta) -> StepOptions:
        """These options, retried until ``budget`` runs out (schedule-to-close)."""
        return replace(self, schedule_to_close=budget)


def _retry(initial: float, maximum: float, attempts: int) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=timedelta(seconds=initial),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=maximum),
        maximum_attempts=attempts,
    )


CHECK = StepOptions(timedelta(seconds=15), _retry(0.5, 10, 12))
LEDGER = StepOptions(timedelta(seconds=30), _retry(0.5, 30, 25))
PARTNER = StepOptions(timedelta(seconds=30), _retry(2, 60, 10), heartbeat=timedelta(seconds=15))
COMPENSATION = StepOptions(timedelta(seconds=30), _retry(1, 30, 8))
# Compensations of runs started after the safe-cancellation patch: unlimited attempts,
# bounded by the request's compensation_timeout_s (hours) through within().
PATIENT_COMPENSATION = StepOptions(timedelta(seconds=30), _retry(1, 300, 0))
# Settling pending points after their timer: nobody else would ever do it, so until it lands.
SETTLE = StepOptions(timedelta(seconds=30), _retry(1, 300, 0))
BEST_EFFORT = StepOptions(timedelta(seconds=10), _retry(1, 5, 3))
PROPOSE = StepOptions(timedelta(minutes=2), _retry(2, 30, 5))
# The hold sweeper: one activity over many holds, heartbeating after each.
# A page of tier reviews: one short transaction per member, 200 members a page.
TIER_REVIEW = StepOptions(timedelta(minutes=5), _retry(1, 60, 10))
SWEEP = StepOptions(timedelta(minutes=15), _retry(5, 300, 5), heartbeat=timedelta(minutes=2))
INGEST = StepOptions(timedelta(minutes=30), _retry(2, 60, 5), heartbeat=timedelta(minutes=2))

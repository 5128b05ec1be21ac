"""The redemption mirror only moves forward: a late or repeated record never rolls it back.

The saga records its state several times, and a record may run again after a
newer one landed (a local activity re-runs when its workflow task is retried,
an attempt that timed out may still be writing). Within one run a state with
fewer steps (or an unfinished one) than the stored one is ignored; a record
from another run of the redemption (an operator's reset) applies, and from then
on a record of the run it replaced is ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import ActivityEnvironment

from loyalty.activities.records import RecordActivities
from loyalty.contracts.redemption import (
    RecordRedemption,
    RedemptionState,
    RedemptionStatus,
    Step,
    StepOutcome,
)
from loyalty.ledger.redemptions import get_redemption
from tests.conftest import MemberFactory, unique_id

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def _record(sessions: sessionmaker[Session], state: RedemptionState, run_id: str) -> str:
    """Run the record activity as run ``run_id`` did; the stored status after it."""
    env = ActivityEnvironment()
    env.info = replace(env.info, workflow_id=state.redemption_id, workflow_run_id=run_id)
    env.run(RecordActivities(sessions=sessions).record_redemption, RecordRedemption(state=state))
    with sessions.begin() as session:
        return get_redemption(session, redemption_id=state.redemption_id).status


def _states(member: str) -> tuple[RedemptionState, RedemptionState, RedemptionState]:
    """The first record, one after a step, and the final one (no new step) of one saga."""
    started = RedemptionState(
        redemption_id=unique_id("redemption"),
        request_id=unique_id("req"),
        member_id=member,
        reward_id="R-GIFT-10",
        quantity=1,
        channel="app",
        started_at=NOW,
    )
    checked = started.model_copy(deep=True)
    checked.steps.append(StepOutcome(step=Step.CHECK_BALANCE, status="ok", at=NOW))
    checked.status = RedemptionStatus.NEEDS_ATTENTION
    finished = checked.model_copy(deep=True)
    finished.status, finished.finished_at = RedemptionStatus.FAILED, NOW
    return started, checked, finished


def test_an_older_state_of_the_same_run_never_overwrites_a_newer_one(
    sessions: sessionmaker[Session], new_member: MemberFactory, seeded_catalog: None
) -> None:
    started, checked, finished = _states(new_member(points=0))

    assert _record(sessions, started, "run-1") == "running"
    assert _record(sessions, checked, "run-1") == "needs_attention"
    assert _record(sessions, finished, "run-1") == "failed"  # finishing counts as progress
    assert _record(sessions, checked, "run-1") == "failed"  # a late record is ignored
    assert _record(sessions, started, "run-1") == "failed"
    assert _record(sessions, finished, "run-1") == "failed"  # a repeat is harmless


def test_a_reset_runs_record_applies_and_a_late_one_of_the_run_it_replaced_does_not(
    sessions: sessionmaker[Session], new_member: MemberFactory, seeded_catalog: None
) -> None:
    # The reset terminates run-1, but a record it had started may still be writing.
    started, checked, finished = _states(new_member(points=0))
    _record(sessions, checked, "run-1")
    assert _record(sessions, started, "run-after-reset") == "running"

    assert _record(sessions, finished, "run-1") == "running"
    assert _record(sessions, checked, "run-after-reset") == "needs_attention"
    assert _record(sessions, finished, "run-1") == "needs_attention"
    with sessions.begin() as session:
        row = get_redemption(session, redemption_id=started.redemption_id)
        assert (row.recorded_run_id, row.recorded_progress) == ("run-after-reset", 1)


def test_a_second_reset_replaces_both_earlier_runs(
    sessions: sessionmaker[Session], new_member: MemberFactory, seeded_catalog: None
) -> None:
    started, checked, finished = _states(new_member(points=0))
    _record(sessions, finished, "run-1")
    _record(sessions, checked, "run-2")
    assert _record(sessions, started, "run-3") == "running"

    assert _record(sessions, finished, "run-2") == "running"
    assert _record(sessions, finished, "run-1") == "running"
    assert _record(sessions, finished, "run-3") == "failed"

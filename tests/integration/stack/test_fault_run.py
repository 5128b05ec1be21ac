"""The reduced ``make faults``: a few dozen sagas through the API of ``loyalty up`` while the
worker is killed, the partner fails in every way and PostgreSQL drops the app's connections;
every saga ends, and the ledger, the stock and the partner agree with the outcomes.
"""

from __future__ import annotations

import pytest
from bench.faults.run import Config, run

pytestmark = pytest.mark.slow

REDUCED = frozenset(
    {
        "worker_kill",
        "partner_503",
        "partner_timeout",
        "lost_answers",
        "partner_outage",
        "pg_terminate",
    }
)


@pytest.mark.timeout(600)
def test_sagas_under_faults_lose_nothing_and_break_no_invariant() -> None:
    report = run(Config(sagas=30, concurrency=8, budget_s=240, faults=REDUCED), log=lambda _: None)

    assert report.violations == [], f"{report.summary()}\n{report.table()}\n{report.violations}"
    exposed = {row.fault: row.sagas for row in report.rows}
    assert {kind: exposed[kind] > 0 for kind in REDUCED} == dict.fromkeys(REDUCED, True)
    assert report.restarts["worker"] >= 1
    assert report.rows[-1].outcomes["completed"] > 0

"""``make faults`` / ``python -m bench.faults``: the fault run; exit 1 on any violation,
2 when the time budget ran out before every saga started (a machine too slow or too busy)."""

from __future__ import annotations

import argparse
import sys

from bench.faults.plan import KINDS
from bench.faults.run import Config, run
from loyalty.logging import configure_logging


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sagas", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--budget-s", type=float, default=540.0, help="load + wait, seconds")
    parser.add_argument("--faults", default=",".join(KINDS), help="comma-separated subset")
    args = parser.parse_args()
    configure_logging("WARNING")
    config = Config(
        sagas=args.sagas,
        concurrency=args.concurrency,
        budget_s=args.budget_s,
        faults=frozenset(f for f in args.faults.split(",") if f),
    )
    report = run(config, log=lambda line: print(line, flush=True))
    print(report.summary())
    print(report.table())
    for violation in report.violations[:50]:
        print(f"VIOLATION {violation.rule:12} {violation.subject}: {violation.detail}")
    if len(report.violations) > 50:
        print(f"... and {len(report.violations) - 50} more")
    print("OK: no violation" if report.ok else f"FAILED: {len(report.violations)} violation(s)")
    if report.not_started:
        print(f"INCOMPLETE: the budget ran out before {report.not_started} sagas started")
    return 1 if not report.ok else 2 if report.not_started else 0


sys.exit(main())

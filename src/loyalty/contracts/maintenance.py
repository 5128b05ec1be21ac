"""Wire contracts of the scheduled ledger jobs: points expiry and reconciliation.

Both run as workflows started by Temporal Schedules (see ``loyalty.schedules``),
so every run is in the Web UI with its input, result or failure.

- ExpirePoints: input ``ExpiryRequest``; the workflow passes its own start time
  to the activity of the same name (``ExpireDue``), so a retried activity
  expires exactly what was due then; result ``ExpirySummary``.
- ReconcileLedger: input ``ReconcileRequest``; the activity of the same name
  returns a ``ReconciliationReport``; any discrepancy fails the run with type
  ``ledger_discrepancy`` and a message naming the accounts.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from loyalty.contracts.base import Contract, Identifier

EXPIRE_POINTS_WORKFLOW = "ExpirePoints"
EXPIRE_POINTS = "ExpirePoints"
RECONCILE_WORKFLOW = "ReconcileLedger"
RECONCILE_LEDGER = "ReconcileLedger"
DISCREPANCY_ERROR = "ledger_discrepancy"


class ExpiryRequest(Contract):
    """Input of the ExpirePoints workflow (a schedule starts it with the defaults)."""

    member_id: Identifier | None = None
    requested_by: Identifier = "schedule"


class ExpireDue(Contract):
    """Input of the ExpirePoints activity: expire every lot due at ``as_of``."""

    as_of: dt.datetime
    member_id: Identifier | None = None


class ExpirySummary(Contract):
    lots_expired: int
    points_expired: int
    members: int


class ReconcileRequest(Contract):
    """Input of the ReconcileLedger workflow and activity (all accounts unless ``member_id``)."""

    member_id: Identifier | None = None
    requested_by: Identifier = "schedule"


class LedgerDiscrepancy(Contract):
    """One projection that disagrees with what explains it (ids and numbers only).

    An account check names the member; a stock check (``inventory_vs_holds``)
    names the reward.
    """

    member_id: str | None = None
    reward_id: str | None = None
    check: str
    projected: int
    derived: int

    @property
    def subject(self) -> str:
        return self.member_id or self.reward_id or "?"


class ReconciliationReport(Contract):
    discrepancies: list[LedgerDiscrepancy] = Field(default_factory=list)

    def summary(self, *, limit: int = 20) -> str:
        """One line naming the accounts (the first ``limit``) and what disagrees."""
        subjects = sorted({d.subject for d in self.discrepancies})
        named = "; ".join(
            f"{d.subject} {d.check} projected {d.projected} derived {d.derived}"
            for d in self.discrepancies
            if d.subject in subjects[:limit]
        )
        kind = "account" if all(d.member_id for d in self.discrepancies) else "account or reward"
        more = f" (and {len(subjects) - limit} more)" if len(subjects) > limit else ""
        plural = "s" if len(subjects) != 1 else ""
        return f"ledger differs in {len(subjects)} {kind}{plural}: {named}{more}"

"""Wire contracts of the scheduled ledger jobs: points expiry and reconciliation.

Both run as workflows started by Temporal Schedules (see ``loyalty.schedules``),
so every run is in the Web UI with its input, result or failure.

- ExpirePoints: input ``ExpiryRequest``; the workflow passes its own start time
  to the activity of the same name (``ExpireDue``), so a retried activity
  expires exactly what was due then; result ``ExpirySummary``. Since the
  ``expiry-notices`` patch it then records POL-EXPIRY-001's advance notices
  (``RecordExpiryNotices``: ``NoticesDue`` -> ``ExpiryNotices``) and announces
  each as a ``points.expiring`` webhook event.
- ReconcileLedger: input ``ReconcileRequest``; the activity of the same name
  returns a ``ReconciliationReport``; any discrepancy (an active hold of a
  closed workflow is one) fails the run with type ``ledger_discrepancy`` and a
  message naming the accounts.
- SweepExpiredHolds: input ``HoldSweepRequest``; the activity of the same name
  voids, then releases, every saga hold older than POL-REDEMPTION-001's
  ``hold_expiry_minutes`` whose workflow is closed, and returns a
  ``HoldSweepReport`` listing each one; a hold it had to keep fails the run
  with type ``stranded_holds``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from loyalty.contracts.base import Contract, Identifier

EXPIRE_POINTS_WORKFLOW = "ExpirePoints"
EXPIRE_POINTS = "ExpirePoints"
RECONCILE_WORKFLOW = "ReconcileLedger"
RECONCILE_LEDGER = "ReconcileLedger"
DISCREPANCY_ERROR = "ledger_discrepancy"
SWEEP_HOLDS_WORKFLOW = "SweepExpiredHolds"
SWEEP_HOLDS = "SweepExpiredHolds"
STRANDED_HOLDS_ERROR = "stranded_holds"
RECORD_EXPIRY_NOTICES = "RecordExpiryNotices"
# The reconciliation check that names an active hold whose workflow is closed.
CLOSED_WORKFLOW_HOLD = "hold_of_closed_workflow"


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
    members: int = Field(description="Members with a lot expired or postponed by this run.")
    notices: int = Field(default=0, description="Advance notices announced by this run.")
    lots_postponed: int = Field(
        default=0,
        description="Lots whose date moved: a notice missed its day (POL-EXPIRY-001).",
    )


class NoticesDue(Contract):
    """Input of RecordExpiryNotices: the notices due at ``as_of``, recorded under ``run_key``."""

    as_of: dt.datetime
    run_key: str
    member_id: Identifier | None = None


class ExpiryNotice(Contract):
    member_id: str
    expires_at: dt.datetime
    days_before: int = Field(description="The policy's lead time this notice answers.")
    points: int


class ExpiryNotices(Contract):
    notices: list[ExpiryNotice] = Field(default_factory=list)


class ReconcileRequest(Contract):
    """Input of the ReconcileLedger workflow and activity (all accounts unless ``member_id``)."""

    member_id: Identifier | None = None
    requested_by: Identifier = "schedule"


class LedgerDiscrepancy(Contract):
    """One projection that disagrees with what explains it (ids and numbers only).

    An account check names the member; a stock check (``inventory_vs_holds``)
    names the reward; a ``hold_of_closed_workflow`` names the member, the hold
    and its workflow (projected: the points still held; derived: 0).
    """

    member_id: str | None = None
    reward_id: str | None = None
    check: str
    projected: int
    derived: int
    hold_id: int | None = None
    workflow_id: str | None = None

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


class HoldSweepRequest(Contract):
    """Input of the SweepExpiredHolds workflow and activity (a schedule starts it)."""

    limit: int = Field(default=500, ge=1, le=10_000, description="Holds examined per run.")
    requested_by: Identifier = "schedule"


class SweptHold(Contract):
    """One expired hold of a closed workflow, and what the sweeper did with it.

    ``released``: the partner confirmed no live voucher (voided, or never
    issued) and the points and units went back. ``kept``: the partner could not
    confirm it (the voucher was used, or the partner is unreachable), so the
    hold stays for an operator or the next run: points never go back while a
    live voucher may exist.
    """

    hold_id: int
    member_id: str
    workflow_id: str
    points: int
    units: int
    action: Literal["released", "kept"]
    reason: str


class HoldSweepReport(Contract):
    expiry_minutes: int
    holds: list[SweptHold] = Field(default_factory=list)

    @property
    def kept(self) -> list[SweptHold]:
        return [hold for hold in self.holds if hold.action == "kept"]

    def summary(self) -> str:
        """One line: how many were released, and each kept hold with its reason."""
        released = len(self.holds) - len(self.kept)
        kept = "; ".join(f"hold {h.hold_id} of {h.workflow_id}: {h.reason}" for h in self.kept[:20])
        return f"{released} expired holds released, {len(self.kept)} kept" + (
            f": {kept}" if kept else ""
        )

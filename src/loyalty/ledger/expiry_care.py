"""Before and after points expire: what is expiring, advance notices, extensions, reinstatements.

- ``expiring``: a member's unexpired lots grouped by expiry date, with the
  notices already sent for each date.
- ``record_notices``: POL-EXPIRY-001's advance notices, each (member, expiry,
  lead time) recorded once, with the run's time (``sent_at``); a run gets back
  every notice it recorded, also after a retry, so the notices it announces are
  never lost between the two.
- ``needs_the_run`` / ``lots_needing_the_run``: the lots an expiry run acts on,
  those past their date and those owed a notice whose day has passed.
- ``ready_to_expire`` (the expiry run, account locked): of those, the ones past
  their date whose notices all went out in time; a lot owed a notice is
  postponed (``domain.expiry.postponed_until``), before its date if the
  notice's day has already passed: the lot's date moves, audited, and the run's
  notice step announces the new date. No points move, so no entry.
- ``extend`` (support): push the lots expiring on one date back by some days,
  within the tier's maximum and the 12-month count. No points move, so no ledger
  entry: the extension row and an audit row, in the lots' transaction.
- ``reinstate`` (support): give back points that expired within the window,
  in a new lot (a ``reinstate`` entry), once per window, within the tier's
  maximum; above the member's approval threshold it is refused: it needs an
  approver, and none exists for this path yet.

The write paths run in the repository's transaction with the account locked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, DateTime, Integer, and_, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from loyalty.domain.expiry import ExpiryRules, extension_refusal, postponed_until
from loyalty.domain.tiers import Tier
from loyalty.errors import (
    IdempotencyConflictError,
    InvalidStateError,
    LimitExceededError,
    NotFoundError,
)
from loyalty.ledger import audit
from loyalty.ledger.models import ExpiryExtension, ExpiryNotice, LedgerEntry, PointLot

if TYPE_CHECKING:
    from loyalty.ledger.operation import Operation

YEAR = dt.timedelta(days=365)


@dataclass(frozen=True)
class ExpiringPoints:
    expires_at: dt.datetime
    points: int
    lots: int
    notices_sent: tuple[int, ...] = ()  # lead times (days) already announced, longest first


@dataclass(frozen=True)
class Notice:
    member_id: str
    expires_at: dt.datetime
    days_before: int
    points: int


@dataclass(frozen=True)
class Extension:
    extension_id: str
    member_id: str
    expires_on: dt.date
    days: int
    points: int
    new_expires_on: dt.date
    replayed: bool


@dataclass(frozen=True)
class Staff:
    """Who asks, for the audit row."""

    actor: str
    role: str
    reason: str


def expiring(
    session: Session, *, member_id: str, as_of: dt.datetime, until: dt.datetime | None
) -> list[ExpiringPoints]:
    """Unexpired points with an expiry date (up to ``until``), soonest first."""
    query = (
        select(PointLot.expires_at, func.sum(PointLot.remaining), func.count())
        .where(
            PointLot.member_id == member_id,
            PointLot.remaining > 0,
            PointLot.expires_at > as_of,
        )
        .group_by(PointLot.expires_at)
        .order_by(PointLot.expires_at)
    )
    if until is not None:
        query = query.where(PointLot.expires_at <= until)
    found = session.execute(query).all()
    sent = notices_sent(session, member_id, [at for at, _, _ in found])
    return [
        ExpiringPoints(at, int(points), int(n), tuple(sorted(sent.get(at, {}), reverse=True)))
        for at, points, n in found
    ]


def notices_sent(
    session: Session, member_id: str, dates: list[dt.datetime]
) -> dict[dt.datetime, dict[int, dt.datetime]]:
    """For each of the member's expiry ``dates``: lead time -> when that notice went out."""
    sent: dict[dt.datetime, dict[int, dt.datetime]] = {}
    if not dates:
        return sent
    rows = session.execute(
        select(
            ExpiryNotice.expires_at,
            ExpiryNotice.days_before,
            func.coalesce(ExpiryNotice.sent_at, ExpiryNotice.created_at),
        ).where(ExpiryNotice.member_id == member_id, ExpiryNotice.expires_at.in_(dates))
    )
    for at, days, sent_at in rows:
        sent.setdefault(at, {})[days] = sent_at
    return sent


def needs_the_run(as_of: dt.datetime, notice_days_before: tuple[int, ...]) -> ColumnElement[bool]:
    """SQL for a lot the expiry run at ``as_of`` must act on: it has points and is
    past its date, or is owed a notice whose day has passed.

    The same rule as ``domain.expiry.postponed_until`` (a notice of ``days`` is in
    time when sent before ``expires_at - (days - 1)``, whole days rounded up), so
    a run locks only the members it has work for, not every member with points
    expiring within the longest lead time.
    """
    acts = [PointLot.expires_at <= as_of]
    for days in notice_days_before:
        slack = dt.timedelta(days=days - 1)
        sent_in_time = exists().where(
            ExpiryNotice.member_id == PointLot.member_id,
            ExpiryNotice.expires_at == PointLot.expires_at,
            ExpiryNotice.days_before == days,
            func.coalesce(ExpiryNotice.sent_at, ExpiryNotice.created_at)
            < PointLot.expires_at - slack,
        )
        acts.append(and_(PointLot.expires_at <= as_of + slack, ~sent_in_time))
    return and_(PointLot.remaining > 0, or_(*acts))


def lots_needing_the_run(
    session: Session,
    *,
    as_of: dt.datetime,
    notice_days_before: tuple[int, ...],
    member_id: str,
) -> list[PointLot]:
    """One member's lots that ``needs_the_run`` selects, soonest first."""
    return list(
        session.scalars(
            select(PointLot)
            .where(PointLot.member_id == member_id, needs_the_run(as_of, notice_days_before))
            .order_by(PointLot.expires_at, PointLot.id)
        )
    )


def ready_to_expire(
    session: Session,
    lots: list[PointLot],
    *,
    as_of: dt.datetime,
    notice_days_before: tuple[int, ...],
) -> tuple[list[PointLot], int]:
    """Of one member's ``lots`` (``lots_needing_the_run``), those past their date
    whose notices all went out in time; how many were postponed.

    A lot not yet due that is owed a notice whose day has passed is postponed
    now rather than on its date. A postponed lot gets its new date here (and an
    audit row saying why), in the caller's transaction, with the member's
    account locked.
    """
    if not lots:
        return [], 0
    member_id = lots[0].member_id
    sent = notices_sent(session, member_id, list({lot.expires_at for lot in lots}))
    ready: list[PointLot] = []
    postponed = 0
    for lot in lots:
        until = postponed_until(
            expires_at=lot.expires_at,
            as_of=as_of,
            notice_days_before=notice_days_before,
            sent=sent.get(lot.expires_at, {}),
        )
        if until is None:
            if lot.expires_at <= as_of:
                ready.append(lot)
            continue
        audit.record(
            session,
            actor="expiry-run",
            role="system",
            action="expiry.postpone",
            target=member_id,
            reason="POL-EXPIRY-001: not every advance notice went out in time",
            details={
                "lot_id": lot.id,
                "expires_at": lot.expires_at.isoformat(),
                "new_expires_at": until.isoformat(),
                "notices_sent": {
                    str(days): at.isoformat() for days, at in sent.get(lot.expires_at, {}).items()
                },
            },
        )
        lot.expires_at = until
        postponed += 1
    return ready, postponed


def record_notices(
    session: Session,
    *,
    as_of: dt.datetime,
    days_before: tuple[int, ...],
    run_key: str,
    member_id: str | None = None,
) -> list[Notice]:
    """Record the notices now due (each once, ever); return every one this run recorded."""
    for days in days_before:
        due = (
            select(
                PointLot.member_id,
                PointLot.expires_at,
                literal(days, Integer),
                func.sum(PointLot.remaining),
                literal(run_key),
                literal(as_of, DateTime(timezone=True)),
            )
            .where(
                PointLot.remaining > 0,
                PointLot.expires_at > as_of,
                PointLot.expires_at <= as_of + dt.timedelta(days=days),
            )
            .group_by(PointLot.member_id, PointLot.expires_at)
        )
        if member_id is not None:
            due = due.where(PointLot.member_id == member_id)
        session.execute(
            insert(ExpiryNotice)
            .from_select(
                ["member_id", "expires_at", "days_before", "points", "run_key", "sent_at"], due
            )
            .on_conflict_do_nothing()
        )
    rows = session.scalars(
        select(ExpiryNotice)
        .where(ExpiryNotice.run_key == run_key)
        .order_by(ExpiryNotice.member_id, ExpiryNotice.expires_at, ExpiryNotice.days_before)
    )
    return [Notice(r.member_id, r.expires_at, r.days_before, r.points) for r in rows]


def extend(
    op: Operation,
    *,
    key: str,
    expires_on: dt.date,
    days: int,
    tier: Tier,
    rules: ExpiryRules,
    staff: Staff,
    now: dt.datetime,
) -> Extension:
    """Push the member's lots expiring on ``expires_on`` back by ``days``.

    Raises:
        IdempotencyConflictError: ``key`` was used for another date or length.
        LimitExceededError: longer than the tier allows, or one too many in 12 months.
        NotFoundError: no unexpired points expire on that date.
    """
    member_id = op.account.member_id
    done = op.session.get(ExpiryExtension, key)
    if done is not None:
        if (done.expires_on, done.days) != (expires_on, days):
            raise IdempotencyConflictError(f"extension {key} was made for another date or length")
        return _extension(done, replayed=True)
    recent = op.session.scalar(
        select(func.count()).where(
            ExpiryExtension.member_id == member_id, ExpiryExtension.created_at > now - YEAR
        )
    )
    refusal = extension_refusal(rules, tier=tier, days=days, extensions_last_12m=int(recent or 0))
    if refusal:
        raise LimitExceededError(refusal, reasons=[refusal])
    lots = _lots_expiring_on(op.session, member_id, expires_on, now)
    if not lots:
        raise NotFoundError(f"no points of {member_id} expire on {expires_on.isoformat()}")
    for lot in lots:
        lot.expires_at += dt.timedelta(days=days)
    row = ExpiryExtension(
        id=key,
        member_id=member_id,
        expires_on=expires_on,
        days=days,
        points=sum(lot.remaining for lot in lots),
        lot_ids=[str(lot.id) for lot in lots],
        reason=staff.reason,
        actor=staff.actor,
    )
    op.session.add(row)
    audit.record(
        op.session,
        actor=staff.actor,
        role=staff.role,
        action="expiry.extend",
        target=member_id,
        reason=staff.reason,
        details={"extension_id": key, "expires_on": expires_on.isoformat(), "days": days},
    )
    op.session.flush()
    return _extension(row, replayed=False)


def reinstate(
    op: Operation,
    *,
    tier: Tier,
    rules: ExpiryRules,
    approval_threshold: int,
    staff: Staff,
    now: dt.datetime,
) -> int:
    """Give back points that expired within the window, in a new lot; how many.

    The new lot lives ``reinstatement_window_days`` (a choice: the policy keeps
    the original earning date, whose expiry has passed, so some life must be
    given or the next expiry run would take the points again at once).

    Raises:
        InvalidStateError: nothing expired within the window, or the member had
            a reinstatement within it already.
        LimitExceededError: above the member's approval threshold (needs an approver).
    """
    member_id = op.account.member_id
    window = dt.timedelta(days=rules.reinstatement_window_days)
    if _reinstated_since(op.session, member_id, now - window):
        raise InvalidStateError(
            "points were reinstated for this member within the window already",
            reasons=["expired points can be reinstated once"],
        )
    lots = op.session.scalars(
        select(PointLot)
        .where(
            PointLot.member_id == member_id,
            PointLot.expired_points > PointLot.reinstated_points,
            PointLot.expires_at > now - window,
            PointLot.expires_at <= now,
        )
        .order_by(PointLot.expires_at.desc(), PointLot.id)
    ).all()
    points = min(
        sum(lot.expired_points - lot.reinstated_points for lot in lots),
        rules.reinstatement_max_points[tier],
    )
    if points <= 0:
        raise InvalidStateError(
            f"no points of {member_id} expired in the last {window.days} days",
            reasons=["nothing to reinstate"],
        )
    if points > approval_threshold:
        message = f"reinstating {points} points needs approval (threshold {approval_threshold})"
        raise LimitExceededError(message, reasons=[message])
    left = points
    for lot in lots:  # most recently expired first
        take = min(lot.expired_points - lot.reinstated_points, left)
        lot.reinstated_points += take
        left -= take
        if not left:
            break
    expires_at = now + window
    lot = op.new_lot(points, expires_at)
    op.post(
        "reinstate",
        points,
        0,
        lot_id=lot.id,
        expires_at=expires_at,
        reason=f"expired points reinstated: {staff.reason}",
        actor=staff.actor,
    )
    audit.record(
        op.session,
        actor=staff.actor,
        role=staff.role,
        action="expiry.reinstate",
        target=member_id,
        reason=staff.reason,
        details={"points": points, "key": op.key},
    )
    return points


def _lots_expiring_on(
    session: Session, member_id: str, day: dt.date, now: dt.datetime
) -> list[PointLot]:
    start = dt.datetime.combine(day, dt.time(tzinfo=dt.UTC))
    return list(
        session.scalars(
            select(PointLot).where(
                PointLot.member_id == member_id,
                PointLot.remaining > 0,
                PointLot.expires_at > now,
                PointLot.expires_at >= start,
                PointLot.expires_at < start + dt.timedelta(days=1),
            )
        )
    )


def _reinstated_since(session: Session, member_id: str, since: dt.datetime) -> bool:
    found = session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.member_id == member_id,
            LedgerEntry.kind == "reinstate",
            LedgerEntry.created_at > since,
        )
    )
    return found is not None


def _extension(row: ExpiryExtension, *, replayed: bool) -> Extension:
    return Extension(
        extension_id=row.id,
        member_id=row.member_id,
        expires_on=row.expires_on,
        days=row.days,
        points=row.points,
        new_expires_on=row.expires_on + dt.timedelta(days=row.days),
        replayed=replayed,
    )

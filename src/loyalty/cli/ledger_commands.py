"""Ledger commands: migrate, seed, balance, ledger, accrue, expire, reconcile; contracts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from loyalty.activities.holds import stranded_holds
from loyalty.cli import context
from loyalty.cli.output import EXIT_REFUSED, emit, fail, reported_errors
from loyalty.cli.workflow_commands import exits_without_teardown, run
from loyalty.config import PROJECT_ROOT
from loyalty.contracts.maintenance import CLOSED_WORKFLOW_HOLD
from loyalty.ledger.db import provision
from loyalty.ledger.results import Balance, Discrepancy, EntryView
from loyalty.policies.book import PolicyBook
from loyalty.seed import seed_demo_program

app = typer.Typer(no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
MemberArg = Annotated[str, typer.Argument(help="Member id, e.g. M0001.")]


@app.command("migrate")
def migrate_command() -> None:
    """As the owner: create the database if missing, migrate it, and the app's login role."""
    settings = context.settings()
    with reported_errors():
        done = provision(settings.migration_database_url, settings.database_url)
    print(
        f"database {'created and ' if done.database_created else ''}migrated to head; "
        f"app role {'created' if done.app_role_created else 'present'}"
    )


@app.command("seed")
def seed_command(as_json: JsonOption = False) -> None:
    """Load the demo program (idempotent: a second run adds nothing)."""
    with reported_errors():
        summary = seed_demo_program(context.sessions(), context.ledger())
    emit(
        summary,
        as_json=as_json,
        text=lambda s: (
            f"seeded {s.members} members, {s.rewards} rewards; "
            f"{s.entries_posted} new entries ({s.entries_skipped} already present)"
        ),
    )


def _balance_text(b: Balance) -> str:
    earning = f"pending {b.pending:,} pts, " if b.pending else ""
    earning += f"owed {b.owed:,} pts, " if b.owed else ""
    return (
        f"member {b.member_id}: available {b.available:,} pts, held {b.held:,} pts, {earning}"
        f"{b.expiring_soon:,} pts expiring before {b.expiring_soon_before:%Y-%m-%d}"
    )


@app.command("balance")
def balance_command(member_id: MemberArg, as_json: JsonOption = False) -> None:
    """Spendable and held points (expired points never count)."""
    with reported_errors():
        balance = context.ledger().balance(member_id=member_id)
    emit(balance, as_json=as_json, text=_balance_text)


def _entries_text(entries: list[EntryView]) -> str:
    lines = [f"{'id':>8}  {'when':16}  {'kind':8}  {'available':>10}  {'held':>8}  reason"]
    lines += [
        f"{e.entry_id:>8}  {e.created_at:%Y-%m-%d %H:%M}  {e.kind:8}  "
        f"{e.delta_available:>+10,}  {e.delta_held:>+8,}  {e.reason}"
        for e in entries
    ]
    return "\n".join(lines)


@app.command("ledger")
def ledger_command(
    member_id: MemberArg,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    before: Annotated[int | None, typer.Option(help="Page: entries older than this id.")] = None,
    as_json: JsonOption = False,
) -> None:
    """A member's ledger entries, newest first."""
    with reported_errors():
        entries = context.ledger().entries(member_id=member_id, limit=limit, before_id=before)
    emit(entries, as_json=as_json, text=_entries_text)


@app.command("accrue")
def accrue_command(
    member_id: MemberArg,
    points: Annotated[int, typer.Argument(min=1, help="Whole points to credit.")],
    expires_in_days: Annotated[int, typer.Option(min=1, max=3650)] = 365,
    key: Annotated[str | None, typer.Option(help="Idempotency key (default: new).")] = None,
    reason: Annotated[str, typer.Option()] = "manual accrual",
    as_json: JsonOption = False,
) -> None:
    """Credit points that expire after ``--expires-in-days``."""
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_in_days)
    idempotency_key = key or f"cli:accrue:{member_id}:{dt.datetime.now(dt.UTC).isoformat()}"
    with reported_errors():
        result = context.ledger().accrue(
            member_id=member_id,
            points=points,
            expires_at=expires_at,
            idempotency_key=idempotency_key,
            reason=reason,
            actor="cli",
        )
    emit(
        result,
        as_json=as_json,
        text=lambda r: (
            f"{'already posted' if r.replayed else 'posted'} entry {r.entry_id}: "
            f"available now {r.available_after:,} pts"
        ),
    )


@app.command("expire")
def expire_command(
    member_id: Annotated[str | None, typer.Option("--member")] = None,
    as_json: JsonOption = False,
) -> None:
    """Post expiry entries for every lot past its date (safe to re-run).

    A lot whose member was not sent every advance notice is postponed instead
    (POL-EXPIRY-001); the scheduled run then announces its new date.
    """
    with reported_errors():
        days = PolicyBook(context.settings().policies_dir).expiry_rules().notice_days_before
        run = context.ledger().expire(member_id=member_id, notice_days_before=days)
    emit(
        run,
        as_json=as_json,
        text=lambda r: (
            f"expired {r.points_expired:,} pts from {r.lots_expired} lots of {r.members} members"
            f" ({r.lots_postponed} lots postponed: notices owed)"
        ),
    )


@app.command("reconcile")
@exits_without_teardown
def reconcile_command(
    member_id: Annotated[str | None, typer.Option("--member")] = None,
    as_json: JsonOption = False,
) -> None:
    """Prove every account matches its entries, lots and holds, every reward its stock,
    and no active hold belongs to a closed workflow; exit 1 on any difference, 4 when
    Temporal cannot be asked."""
    with reported_errors():
        found = context.ledger().reconcile(member_id=member_id)
        stranded = run(
            lambda client: stranded_holds(client, context.sessions(), member_id=member_id),
            "reconcile",
        )
    found += [
        Discrepancy(
            subject=f"{hold.member_id} hold {hold.hold_id} of {hold.workflow_id}",
            check=CLOSED_WORKFLOW_HOLD,
            projected=hold.points,
            derived=0,
        )
        for hold in stranded
    ]
    emit(
        found,
        as_json=as_json,
        text=lambda f: (
            "\n".join(
                [f"{d.subject}: {d.check} projected {d.projected} derived {d.derived}" for d in f]
            )
            or "reconciled: every account matches its entries, lots and holds;"
            " every reward its stock; no hold outlived its workflow"
        ),
    )
    if found:
        raise fail(f"{len(found)} discrepancies", EXIT_REFUSED)


@app.command("contracts")
def contracts_command(
    directory: Annotated[Path, typer.Argument()] = PROJECT_ROOT / "docs" / "contracts",
) -> None:
    """Write the workflow and activity contracts as JSON Schema (for other SDKs)."""
    from loyalty.contracts.export import export

    written = export(directory)
    print(f"wrote {len(written)} contract files to {directory}")

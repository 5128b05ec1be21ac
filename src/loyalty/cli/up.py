"""``loyalty up``: bring the whole stack up on embedded defaults (what ``make run`` calls)."""

from __future__ import annotations

import typer

from loyalty.cli import context
from loyalty.cli.output import reported_errors
from loyalty.ledger.db import ensure_database, migrate
from loyalty.seed import DEMO_MEMBER, seed_demo_program

app = typer.Typer()


def prepare_database() -> None:
    """Create, migrate and seed the database; print what was done."""
    url = context.settings().database_url
    created = ensure_database(url)
    print(f"==> database {'created' if created else 'present'}; applying migrations")
    migrate(url)
    with reported_errors():
        summary = seed_demo_program(context.sessions(), context.ledger())
    print(
        f"==> demo program: {summary.members} members, {summary.rewards} rewards "
        f"({summary.entries_posted} new ledger entries)"
    )
    balance = context.ledger().balance(member_id=DEMO_MEMBER)
    print(
        f"==> demo member {DEMO_MEMBER}: {balance.available:,} pts available, "
        f"{balance.held:,} held, {balance.expiring_soon:,} expiring within 30 days"
    )


@app.command("up")
def up_command() -> None:
    """Migrate, seed and start every process of the stack; Ctrl-C stops them all."""
    prepare_database()

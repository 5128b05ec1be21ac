"""``loyalty up``: bring the whole stack up on embedded defaults (what ``make run`` calls).

Order matters: the database first (migrate, seed), then Temporal (and its
search attributes), the partner simulator, the worker and the API, each only
once the one before is ready; then the policies are ingested. From then on a
process that crashes is restarted (see ``cli/stack.py``) while the others keep
running. Each process logs to ``data/logs/``. SIGTERM or Ctrl-C, at any moment
(start-up included), stops everything that was started, newest first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import typer

from loyalty.api.auth import Role, mint_token
from loyalty.cli import context
from loyalty.cli.dev_server import DevServer
from loyalty.cli.output import EXIT_REFUSED, fail, reported_errors
from loyalty.cli.stack import Service, Supervisor, http_ok, port_open
from loyalty.config import Settings
from loyalty.contracts import search
from loyalty.health import HealthFile
from loyalty.ledger.db import provision
from loyalty.seed import DEMO_MEMBER, seed_demo_program
from loyalty.temporal_client import connect, ensure_search_attributes

app = typer.Typer()
BIN = Path(sys.executable).parent


def prepare_database(settings: Settings) -> None:
    """As the owner: create and migrate the database and the app's role; then seed it."""
    print("==> database: applying migrations as its owner", flush=True)
    done = provision(settings.migration_database_url, settings.database_url)
    print(
        f"    database {'created' if done.database_created else 'present'}, "
        f"application role {'created' if done.app_role_created else 'present'}",
        flush=True,
    )
    print("==> seeding the demo program", flush=True)
    with reported_errors():
        summary = seed_demo_program(context.sessions(), context.ledger())
    print(
        f"==> demo program: {summary.members} members, {summary.rewards} rewards "
        f"({summary.entries_posted} new ledger entries)",
        flush=True,
    )


def temporal_service(dev: DevServer) -> Service:
    dev.db_path.parent.mkdir(parents=True, exist_ok=True)
    return Service(
        name="temporal",
        argv=dev.argv(),
        ready=port_open(dev.ip, dev.port),
        where=f"{dev.address} (Web UI {dev.ui_url})",
        port=(dev.ip, dev.port),
    )


def register_search_attributes(settings: Settings) -> None:
    async def register() -> list[str]:
        client = await connect(settings)
        return await ensure_search_attributes(client, client.namespace, search.ALL)

    added = asyncio.run(register())
    names = ", ".join(key.name for key in search.ALL)
    print(f"    search attributes {names} ({len(added)} newly registered)", flush=True)


def services(settings: Settings, env: dict[str, str]) -> list[Service]:
    """The simulator, the worker and the API, in start order, each with a real readiness check."""
    partner = urlsplit(settings.partner_url)
    partner_host, partner_port = partner.hostname or "127.0.0.1", partner.port or 80
    health = HealthFile(settings.data_dir / "run" / "worker.health")
    return [
        Service(
            name="partner-simulator",
            argv=[
                *(sys.executable, "-m", "loyalty.partners.simulator"),
                *("--host", partner_host, "--port", str(partner_port)),
            ],
            ready=http_ok(f"{settings.partner_url}/healthz"),
            where=settings.partner_url,
            env=env,
            port=(partner_host, partner_port),
        ),
        Service(
            name="worker",
            argv=[str(BIN / "loyalty"), "worker"],
            ready=health.fresh,
            where=f"task queue {settings.task_queue} (health file {health.path})",
            env={**env, "LOYALTY_WORKER_HEALTH_FILE": str(health.path)},
            prepare=health.clear,  # ready means a beat from *this* process
        ),
        Service(
            name="api",
            argv=[str(BIN / "loyalty"), "api"],
            ready=http_ok(f"{api_url(settings)}/readyz"),
            where=f"{api_url(settings)} (OpenAPI docs {api_url(settings)}/docs)",
            env=env,
            port=(settings.api_host, settings.api_port),
        ),
    ]


def ingest_policies(env: dict[str, str]) -> None:
    """Embed the policy corpus through the worker (idempotent: unchanged chunks are kept)."""
    print("==> ingesting policies (first run embeds the corpus; later runs skip what is there)")
    ingest = subprocess.run([str(BIN / "loyalty"), "policies", "ingest", "--wait"], env=env)
    if ingest.returncode != 0:
        raise RuntimeError(f"policy ingestion failed (exit {ingest.returncode}); see above")


def api_url(settings: Settings) -> str:
    return f"http://{settings.api_host}:{settings.api_port}"


def print_tokens(settings: Settings) -> None:
    """Ready-to-use demo tokens, one per role (development secrets only)."""
    ttl = dt.timedelta(hours=12)
    tokens = {
        f"customer ({DEMO_MEMBER})": mint_token(
            settings, role=Role.CUSTOMER, member_id=DEMO_MEMBER, ttl=ttl
        ),
        "support agent (agent-1)": mint_token(
            settings, role=Role.SUPPORT_AGENT, subject="agent-1", ttl=ttl
        ),
        "operator (ops-1)": mint_token(settings, role=Role.OPERATOR, subject="ops-1", ttl=ttl),
    }
    print("\n==> demo tokens (valid 12 h; mint more with `loyalty token --role R`):")
    for who, token in tokens.items():
        print(f"    {who}:\n      {token}")


def print_demo(settings: Settings) -> None:
    balance = context.ledger().balance(member_id=DEMO_MEMBER)
    print_tokens(settings)
    print(
        f"\n==> demo member {DEMO_MEMBER}: {balance.available:,} pts available, "
        f"{balance.held:,} held, {balance.expiring_soon:,} expiring within 30 days\n"
        f"    try:  .venv/bin/loyalty redeem {DEMO_MEMBER} R-GIFT-10 --wait\n"
        f'    or:   curl -H "Authorization: Bearer $CUSTOMER_TOKEN" '
        f"{api_url(settings)}/v1/members/{DEMO_MEMBER}/balance\n"
        "    stop: Ctrl-C",
        flush=True,
    )


class StopRequested(BaseException):  # like KeyboardInterrupt: no `except Exception` eats it
    """Raised in the main thread by SIGTERM or SIGINT, wherever ``loyalty up`` is."""


def _stop_on_signals() -> None:
    """From the first line on, SIGTERM and Ctrl-C unwind ``up`` through its ``finally``."""

    def request_stop(signum: int, _frame: object) -> None:
        raise StopRequested(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, request_stop)


def _ignore_signals() -> None:
    """While stopping in order, a second signal must not cut the stop short."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)


def stack_settings(settings: Settings, dev: DevServer) -> tuple[Settings, dict[str, str]]:
    """Point this process and every child at the dev server ``up`` runs."""
    at_dev_server = {"temporal_address": dev.address, "temporal_namespace": dev.namespace}
    env = {
        **os.environ,
        "LOYALTY_TEMPORAL_ADDRESS": dev.address,
        "LOYALTY_TEMPORAL_NAMESPACE": dev.namespace,
    }
    return settings.model_copy(update=at_dev_server), env


@app.command("up")
def up_command(
    ingest: bool = typer.Option(
        True, "--ingest/--no-ingest", help="Embed the policy corpus once the worker is up."
    ),
) -> None:
    """Migrate, seed and start every process of the stack; restart what crashes; Ctrl-C stops."""
    _stop_on_signals()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # readiness probes are not news
    dev = DevServer()
    settings, env = stack_settings(context.settings(), dev)
    supervisor = Supervisor(settings.data_dir / "logs")
    try:
        prepare_database(settings)
        supervisor.start(temporal_service(dev))
        register_search_attributes(settings)
        for service in services(settings, env):
            supervisor.start(service)
        if ingest:
            ingest_policies(env)
        print_demo(settings)
        supervisor.supervise()
    except StopRequested as stop:
        print(f"\n==> {stop}: stopping the stack", flush=True)
    except RuntimeError as error:
        raise fail(str(error), EXIT_REFUSED) from None
    finally:
        _ignore_signals()
        supervisor.stop()

"""``loyalty up``: bring the whole stack up on embedded defaults (what ``make run`` calls).

Order matters: the database first (migrate, seed), then Temporal (and its
search attributes), the partner simulator, the worker and the API. Each process logs
to ``data/logs/``; Ctrl-C stops them all, newest first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import typer
import yaml

from loyalty.api.auth import Role, mint_token
from loyalty.cli import context
from loyalty.cli.output import reported_errors
from loyalty.cli.stack import Service, Stack, http_ok, port_open
from loyalty.config import PROJECT_ROOT, Settings
from loyalty.contracts import search
from loyalty.ledger.db import ensure_database, migrate, provision
from loyalty.seed import DEMO_MEMBER, seed_demo_program
from loyalty.temporal_client import connect, ensure_search_attributes

app = typer.Typer()
BIN = Path(sys.executable).parent
DEV_SERVER_CONFIG = PROJECT_ROOT / "temporal-dev" / "dev-server.yaml"


def prepare_database(settings: Settings) -> None:
    """Create, migrate and seed the database; print what was done."""
    provision(settings.migration_database_url, settings.database_url)  # owner: schema, app role
    created = ensure_database(settings.database_url)
    print(f"==> database {'created' if created else 'present'}; applying migrations", flush=True)
    migrate(settings.database_url)
    with reported_errors():
        summary = seed_demo_program(context.sessions(), context.ledger())
    print(
        f"==> demo program: {summary.members} members, {summary.rewards} rewards "
        f"({summary.entries_posted} new ledger entries)",
        flush=True,
    )


def temporal_service(settings: Settings) -> Service:
    config = yaml.safe_load(DEV_SERVER_CONFIG.read_text())
    db_file = PROJECT_ROOT / config["db_filename"]
    db_file.parent.mkdir(parents=True, exist_ok=True)
    return Service(
        name="temporal",
        argv=[
            str(BIN / "temporal"),
            "server",
            "start-dev",
            "--ip",
            config["ip"],
            "--port",
            str(config["port"]),
            "--ui-port",
            str(config["ui_port"]),
            "--namespace",
            config["namespace"],
            "--db-filename",
            str(db_file),
            "--log-level",
            config["log_level"],
        ],
        ready=port_open(config["ip"], int(config["port"])),
        where=f"{config['ip']}:{config['port']} (Web UI http://{config['ip']}:{config['ui_port']})",
    )


def register_search_attributes(settings: Settings) -> None:
    async def register() -> list[str]:
        client = await connect(settings)
        return await ensure_search_attributes(client, settings.temporal_namespace, search.ALL)

    added = asyncio.run(register())
    names = ", ".join(key.name for key in search.ALL)
    print(f"    search attributes {names} ({len(added)} newly registered)", flush=True)


def services(settings: Settings) -> list[Service]:
    partner_port = int(settings.partner_url.rsplit(":", 1)[1].split("/")[0])
    return [
        Service(
            name="partner-simulator",
            argv=[
                sys.executable,
                "-m",
                "loyalty.partners.simulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(partner_port),
            ],
            ready=http_ok(f"{settings.partner_url}/healthz"),
            where=settings.partner_url,
        ),
        Service(
            name="worker",
            argv=[str(BIN / "loyalty"), "worker"],
            ready=lambda: True,
            where=f"task queue {settings.task_queue}",
        ),
        Service(
            name="api",
            argv=[str(BIN / "loyalty"), "api"],
            ready=http_ok(f"{api_url(settings)}/healthz"),
            where=f"{api_url(settings)} (OpenAPI docs {api_url(settings)}/docs)",
        ),
    ]


def ingest_policies(env: dict[str, str]) -> None:
    """Embed the policy corpus through the worker (idempotent: unchanged chunks are kept)."""
    print("==> ingesting policies (first run embeds the corpus; later runs skip what is there)")
    subprocess.run([str(BIN / "loyalty"), "policies", "ingest", "--wait"], env=env, check=True)


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


@app.command("up")
def up_command() -> None:
    """Migrate, seed and start every process of the stack; Ctrl-C stops them all."""
    settings = context.settings()
    prepare_database(settings)
    stack = Stack(settings.data_dir / "logs")
    env = dict(os.environ)
    try:
        stack.start(temporal_service(settings), env)
        register_search_attributes(settings)
        for service in services(settings):
            stack.start(service, env)
        ingest_policies(env)
        print_demo(settings)
        stack.wait()
    finally:
        stack.stop()

"""API commands: ``loyalty api`` serves the HTTP API; ``loyalty token`` mints a bearer JWT."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
import uvicorn

from loyalty.api import create_app
from loyalty.api.auth import Role, mint_token
from loyalty.cli import context
from loyalty.cli.output import EXIT_BAD_INPUT, fail
from loyalty.config import refusals

app = typer.Typer()


@app.command("api")
def api_command(
    host: Annotated[str | None, typer.Option(help="Default: LOYALTY_API_HOST.")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Default: LOYALTY_API_PORT.")
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) until Ctrl-C; refuses unsafe secrets."""
    settings = context.settings()
    bind = host or settings.api_host
    problems = refusals(settings, host=bind)
    if problems:
        raise fail("refusing to start: " + "; ".join(problems), EXIT_BAD_INPUT)
    uvicorn.run(
        create_app(settings),
        host=bind,
        port=port or settings.api_port,
        access_log=False,  # the app writes its own access line (api/middleware.py)
        log_config=None,  # keep uvicorn's loggers on the process's structlog handler
    )


@app.command("token")
def token_command(
    role: Annotated[Role, typer.Option(help="customer | support_agent | operator")],
    member: Annotated[str | None, typer.Option(help="Member the token is bound to.")] = None,
    subject: Annotated[str | None, typer.Option(help="Actor id (sub claim).")] = None,
    ttl_minutes: Annotated[int, typer.Option(min=1, max=60 * 24 * 30)] = 60 * 12,
) -> None:
    """Mint a development token signed with the configured secret (customers need --member)."""
    try:
        token = mint_token(
            context.settings(),
            role=role,
            subject=subject,
            member_id=member,
            ttl=dt.timedelta(minutes=ttl_minutes),
        )
    except ValueError as error:
        raise fail(str(error), EXIT_BAD_INPUT) from None
    print(token)

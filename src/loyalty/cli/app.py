"""The ``loyalty`` Typer application: each command group lives in its own module."""

from __future__ import annotations

import pydantic
import typer

from loyalty.cli import (
    agent_commands,
    api_commands,
    ledger_commands,
    ops_commands,
    refund_commands,
    up,
    workflow_commands,
)
from loyalty.cli.output import EXIT_BAD_INPUT, fail
from loyalty.config import explain, get_settings
from loyalty.logging import configure_logging
from loyalty.observability import secret_values

app = typer.Typer(
    name="loyalty",
    help="Loyalty Orchestration: points ledger, redemption sagas and reward proposals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    try:
        settings = get_settings()
    except pydantic.ValidationError as error:  # e.g. a public secret outside development
        raise fail(explain(error), EXIT_BAD_INPUT) from None
    configure_logging(settings.log_level, secrets=secret_values(settings))


for group in (
    ledger_commands,
    up,
    workflow_commands,
    refund_commands,
    ops_commands,
    api_commands,
    agent_commands,
):
    app.registered_commands.extend(group.app.registered_commands)
    app.registered_groups.extend(group.app.registered_groups)

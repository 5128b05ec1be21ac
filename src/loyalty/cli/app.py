"""The ``loyalty`` Typer application: each command group lives in its own module."""

from __future__ import annotations

import typer

from loyalty.cli import (
    agent_commands,
    api_commands,
    ledger_commands,
    ops_commands,
    up,
    workflow_commands,
)
from loyalty.config import get_settings
from loyalty.logging import configure_logging

app = typer.Typer(
    name="loyalty",
    help="Loyalty Orchestration: points ledger, redemption sagas and reward proposals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    configure_logging(get_settings().log_level)


groups = (ledger_commands, up, workflow_commands, ops_commands, api_commands, agent_commands)
for group in groups:
    app.registered_commands.extend(group.app.registered_commands)
    app.registered_groups.extend(group.app.registered_groups)

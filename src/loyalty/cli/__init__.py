"""The ``loyalty`` command: operators' and developers' entry point to every process."""

from loyalty.cli.app import app

__all__ = ["app"]

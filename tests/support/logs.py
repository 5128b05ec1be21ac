"""Capture the process's logs as the product configures them, and put things back after."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import structlog

from loyalty.logging import configure_logging


@dataclass
class CapturedLogs:
    stream: io.StringIO

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line, parsed: a line that is not JSON fails the test here."""
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@contextmanager
def captured_json_logs(
    level: str = "INFO", secrets: tuple[str, ...] = ()
) -> Iterator[CapturedLogs]:
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    config = structlog.get_config()
    stream = io.StringIO()
    configure_logging(level, stream=stream, json=True, secrets=secrets)
    try:
        yield CapturedLogs(stream)
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
        structlog.configure(**config)

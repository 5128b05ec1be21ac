"""One log pipeline for every logger in the process: structlog's, and the stdlib's.

Our own ``structlog`` loggers and the libraries' stdlib loggers (uvicorn,
temporalio, sqlalchemy, httpx) all end in one handler on the root logger that
renders with structlog: JSON lines when the stream is not a terminal (files,
containers, ``make run``'s logs), readable columns on one.

Every line carries the context that is known where it is written: the request
id (API), the workflow id, run id and activity type, and the member id
(activities bind them, see ``loyalty.observability.interceptor``; temporalio's
own workflow and activity loggers pass them as ``extra``).

Logs carry ids only. :func:`redact` is the last line of defence for what
slips through: values of secret-looking or personal keys are masked, bearer
tokens, JWTs and URL passwords are cut out of any text, and so is every
configured secret value (``configure_logging(secrets=...)``).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, TextIO

import structlog
import temporalio.activity
import temporalio.workflow

REDACTED = "[redacted]"
# Keys whose values never reach a log line: secrets, personal data, voucher codes.
_SECRET_KEY = re.compile(r"secret|password|passwd|token|authorization|api_?key|cookie|jwt", re.I)
_PERSONAL_KEYS = frozenset(
    {"name", "first_name", "last_name", "email", "phone", "address", "notes", "birth_date"}
)
_VOUCHER_KEYS = frozenset({"code", "voucher_code", "voucher_codes"})
_TEXT_PATTERNS = (
    (re.compile(r"(?i)\bbearer\s+[\w.~+/=-]+"), "Bearer " + REDACTED),
    (re.compile(r"\beyJ[\w-]{5,}\.[\w-]+\.[\w-]*"), REDACTED),  # a JWT anywhere in text
    (re.compile(r"(://[^/\s:@]+:)[^@\s/]+@"), r"\1" + REDACTED + "@"),  # user:password@host
    (re.compile(r"(?i)(voucher_codes?['\"]?\s*[:=]\s*['\"]?)[\w-]+"), r"\1" + REDACTED),
    # a payload's "code" (the Fulfillment contract's voucher code) in JSON text, escaped or not
    (re.compile(r'(\\*"code\\*"\s*:\s*\\*")[^"\\]+'), r"\1" + REDACTED),
)
# Record attributes that are not context: a copy of the message, Core's raw entry, colours.
_NOT_CONTEXT = ("message", "temporal_log", "color_message")
# temporalio's loggers put their context in these ``extra`` dicts; we flatten them.
_TEMPORAL_EXTRAS = {
    "temporal_workflow": {"workflow_id": "workflow_id", "run_id": "run_id"},
    "temporal_activity": {
        "workflow_id": "workflow_id",
        "workflow_run_id": "run_id",
        "activity_type": "activity",
    },
}
# The lowest level each library may log at, whatever the root level: below it they print
# what must not be logged (httpx: request URLs; sqlalchemy: SQL and parameters;
# temporalio at DEBUG: activations and completions with their payloads).
_LEVEL_FLOORS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "opentelemetry": logging.WARNING,
    "temporalio": logging.INFO,
}
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class _Redactor:
    """A structlog processor that masks secrets and personal data in an event dict."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is cut out whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, _: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
        return {key: self._value(key, value) for key, value in event_dict.items()}

    def _value(self, key: str, value: Any) -> Any:
        lowered = key.lower()
        if _SECRET_KEY.search(lowered) or lowered in _PERSONAL_KEYS | _VOUCHER_KEYS:
            return REDACTED if value not in (None, "") else value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {str(k): self._value(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._value(key, v) for v in value]
        return value

    def text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _TEXT_PATTERNS:
            text = pattern.sub(replacement, text)
        return text


def redact(event_dict: MutableMapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    """What :func:`configure_logging` does to every event, for callers and tests."""
    result: dict[str, Any] = _Redactor(secrets)(None, "", event_dict)
    return result


def _flatten_temporal_extras(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    for name in _NOT_CONTEXT:
        event_dict.pop(name, None)
    for extra, names in _TEMPORAL_EXTRAS.items():
        details = event_dict.pop(extra, None)
        if isinstance(details, Mapping):
            for source, target in names.items():
                if details.get(source):
                    event_dict.setdefault(target, details[source])
    return event_dict


def _renderer(stream: TextIO, json: bool | None) -> structlog.types.Processor:
    if json is None:
        json = not stream.isatty()
    if json:
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer()


def configure_logging(
    level: str = "INFO",
    *,
    stream: TextIO | None = None,
    json: bool | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Route every logger of the process through structlog, once per process (or test).

    Args:
        level: The root level (``LOYALTY_LOG_LEVEL``).
        stream: Where lines go; standard error by default.
        json: Force JSON (True) or console output (False); by default JSON
            unless ``stream`` is a terminal.
        secrets: Values that must never appear in a line (see
            ``loyalty.observability.secret_values``).
    """
    stream = stream or sys.stderr
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.ExtraAdder(), _flatten_temporal_extras, *shared],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _Redactor(secrets),
                _renderer(stream, json),
            ],
        )
    )
    _install_root_handler(handler, level)
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,  # a reconfigured level applies to existing loggers
    )


def _install_root_handler(handler: logging.Handler, level: str) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_loyalty", False)]:
        root.removeHandler(old)
    handler._loyalty = True  # type: ignore[attr-defined]  # ours to replace on reconfigure
    root.addHandler(handler)
    root.setLevel(level)
    for name in _UVICORN_LOGGERS:  # uvicorn's own handlers would print a second, plain line
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
        uvicorn_logger.setLevel(logging.NOTSET)  # the root level rules, not a server's argument
    for name, floor in _LEVEL_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
    # The context goes into fields (above), not appended to the message text.
    temporalio.workflow.logger.workflow_info_on_message = False
    temporalio.activity.logger.activity_info_on_message = False

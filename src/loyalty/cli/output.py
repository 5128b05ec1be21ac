"""How commands print: a table-ish text for people, ``--json`` for scripts, errors on stderr."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from pydantic import ValidationError as PayloadError

from loyalty.errors import LoyaltyError, NotFoundError, UnavailableError, ValidationError

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_FOUND = 3
EXIT_UNAVAILABLE = 4

T = TypeVar("T")


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit(data: Any, *, as_json: bool, text: Callable[[Any], str]) -> None:
    """Print ``data`` as JSON or as the human text ``text`` renders."""
    if as_json:
        if dataclasses.is_dataclass(data) and not isinstance(data, type):
            data = dataclasses.asdict(data)
        print(json.dumps(data, default=_default, indent=2))
    else:
        print(text(data))


def fail(message: str, code: int) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the product's errors into one clear line and a distinct exit code."""
    try:
        yield
    except NotFoundError as error:
        raise fail(error.message, EXIT_NOT_FOUND) from None
    except ValidationError as error:
        raise fail(error.message, EXIT_BAD_INPUT) from None
    except UnavailableError as error:
        raise fail(error.message, EXIT_UNAVAILABLE) from None
    except LoyaltyError as error:
        raise fail(f"{error.message} [{error.code}]", EXIT_REFUSED) from None


def validated(build: Callable[[], T]) -> T:
    """Build a payload; invalid input is one clear line naming the field, and exit code 2."""
    try:
        return build()
    except PayloadError as error:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise fail(fields, EXIT_BAD_INPUT) from None

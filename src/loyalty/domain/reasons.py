"""The reason object shared by every rule that can say no.

A refusal lists every reason at once so that a caller (customer app, support
agent) can fix everything in one round trip. ``code`` is a stable
machine-readable name; ``message`` is for humans and may change wording.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """One failed rule.

    Attributes:
        code: Stable machine code, e.g. ``"tier_too_low"``.
        message: Human-readable explanation with the relevant values.
    """

    code: str
    message: str

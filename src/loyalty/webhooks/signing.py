"""HMAC-SHA256 signatures over ``f"{timestamp}.{body}"``, sent as ``t=<ts>,v1=<hex>``.

The timestamp is inside the signed text so a captured request cannot be
replayed later with a fresh timestamp; receivers reject stale ones.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def canonical_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes we sign and send: compact, key-sorted JSON."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, body: bytes, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def verify(secret: str, body: bytes, header: str, *, now: int, tolerance_s: int = 300) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance_s`` of ``now``."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, body, timestamp)
    return hmac.compare_digest(expected, parts.get("v1", ""))

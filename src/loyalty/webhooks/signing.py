"""Standard Webhooks signatures (the ``standardwebhooks`` package): one secret per subscription.

Headers: ``webhook-id`` (the event id: stable across retries, receivers
de-duplicate on it), ``webhook-timestamp`` (unix seconds, inside the signed
text so a captured request cannot be replayed later) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256>``, one per secret in force, space-separated, so a
receiver that still holds the previous secret verifies during a rotation).
Receivers verify with any Standard Webhooks library, e.g.
``standardwebhooks.Webhook(secret).verify(body, headers)``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from standardwebhooks import Webhook

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def canonical_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes we sign and send: compact, key-sorted JSON."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def signed_headers(
    secrets: Sequence[str], *, message_id: str, body: bytes, at: dt.datetime
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``, signed with every secret given."""
    if not secrets:
        raise ValueError("a webhook is never sent unsigned")
    data = body.decode()
    signatures = [Webhook(secret).sign(message_id, at, data) for secret in secrets]
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(int(at.timestamp())),
        SIGNATURE_HEADER: " ".join(signatures),
    }

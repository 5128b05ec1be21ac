"""Per-subscription signing secrets: made, shown once, stored encrypted, rotated with overlap.

Each subscription signs with its own Standard Webhooks secret (``whsec_`` +
base64 of 32 random bytes), so no subscriber can forge another's events. The
API shows it once, in the answer that creates or rotates it; the database
keeps it encrypted (Fernet, with a key derived from ``LOYALTY_WEBHOOK_SECRET``),
so a copy of the table is not a copy of the secrets. After a rotation the
previous secret keeps signing beside the new one for the overlap window,
giving a receiver time to switch without losing an event.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from loyalty.errors import InvalidStateError

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks format."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class SecretBox:
    """Encrypts signing secrets at rest with a key derived from the configured master secret."""

    def __init__(self, master: SecretStr) -> None:
        digest = hashlib.sha256(b"loyalty-webhook-secrets:" + master.get_secret_value().encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(digest.digest()))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        """The plaintext secret.

        Raises:
            InvalidStateError: it was sealed under another master secret.
        """
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise InvalidStateError(
                "a webhook secret cannot be decrypted: LOYALTY_WEBHOOK_SECRET changed; "
                "rotate the subscription's secret"
            ) from None


def signing_secrets(
    box: SecretBox,
    *,
    current: str | None,
    previous: str | None,
    previous_until: dt.datetime | None,
    now: dt.datetime,
) -> list[str]:
    """The secrets a delivery signs with now: the current one, and the previous one in overlap."""
    found = [box.open(current)] if current else []
    if previous and previous_until is not None and now < previous_until:
        found.append(box.open(previous))
    return found

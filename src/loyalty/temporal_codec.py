"""Optional encryption of every Temporal payload, with a key from the environment.

Voucher codes already stay out of history by design (``ledger.vouchers``). The
codec goes further for deployments that want nothing readable in Temporal:
with ``LOYALTY_PAYLOAD_KEY`` set (base64 of 32 random bytes), the client, the
worker and the CLI encrypt every workflow and activity payload with AES-256-GCM
before it leaves the process, so the Temporal server, its database and the
Web UI hold ciphertext only (search attributes stay readable: operators filter
on them). Every process that talks to the same workflows needs the same key;
the Web UI then shows encrypted payloads unless a codec server is run for it.
Unset, payloads are plain JSON, as before.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over the whole serialized payload; the key id names the key used."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self._key_id = hashlib.sha256(key).hexdigest()[:16].encode()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(
                metadata={"encoding": ENCODING, KEY_ID: self._key_id},
                data=self._encrypt(payload.SerializeToString()),
            )
            for payload in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)  # written before encryption was turned on
                continue
            if payload.metadata.get(KEY_ID) != self._key_id:
                raise ValueError("payload encrypted with another LOYALTY_PAYLOAD_KEY")
            decoded.append(Payload.FromString(self._decrypt(payload.data)))
        return decoded

    def _encrypt(self, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data, None)

    def _decrypt(self, data: bytes) -> bytes:
        return self._aead.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], None)

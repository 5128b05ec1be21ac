"""Tokens from an identity provider: RS256/ES256 verified from a JWKS URL or a PEM file.

The JWKS is served by a local HTTP server in the test (no network), the way
an identity provider publishes its keys. Only the listed asymmetric
algorithms pass: an HS256 token, even one signed with the configured secret,
is refused, and so is a token signed by a key the provider never published.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from loyalty.api import create_app
from loyalty.api.auth import Role, mint_token
from loyalty.config import Settings
from tests.support import temporal as support

ISSUER = "https://id.example.test"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
STRANGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks() -> dict[str, Any]:
    rsa_jwk = {**RSAAlgorithm.to_jwk(RSA_KEY.public_key(), as_dict=True), "kid": "rsa-1"}
    ec_jwk = {**ECAlgorithm.to_jwk(EC_KEY.public_key(), as_dict=True), "kid": "ec-1"}
    return {"keys": [{**rsa_jwk, "use": "sig"}, {**ec_jwk, "use": "sig"}]}


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    body = json.dumps(_jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


def _settings(**overrides: Any) -> Settings:
    return support.test_settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        partner_url="http://127.0.0.1:9",
        jwt_issuer=ISSUER,
        **overrides,
    )


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


def _token(key: Any, algorithm: str, kid: str, **claims: Any) -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    payload = {
        "sub": "lead-1",
        "role": "support_lead",
        "iss": ISSUER,
        "aud": "loyalty-api",
        "exp": now + dt.timedelta(minutes=5),
        **claims,
    }
    token = jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})
    return {"Authorization": f"Bearer {token}"}


async def test_rs256_and_es256_tokens_from_the_jwks_are_accepted_and_nothing_else(
    jwks_url: str,
) -> None:
    settings = _settings(jwt_jwks_url=jwks_url)
    shared = settings.jwt_secret.get_secret_value()
    calls = {
        "rs256": _token(RSA_KEY, "RS256", "rsa-1"),
        "es256": _token(EC_KEY, "ES256", "ec-1"),
        "hs256 with the secret": _token(shared, "HS256", "rsa-1"),
        "unpublished key": _token(STRANGER, "RS256", "rsa-1"),
        "unknown kid": _token(STRANGER, "RS256", "rsa-9"),
        "other issuer": _token(RSA_KEY, "RS256", "rsa-1", iss="https://evil.example"),
    }

    async with _client(settings) as http:
        codes = {
            name: (await http.get("/v1/policies", headers=headers)).status_code
            for name, headers in calls.items()
        }

    assert codes == {
        "rs256": 200,
        "es256": 200,
        "hs256 with the secret": 401,
        "unpublished key": 401,
        "unknown kid": 401,
        "other issuer": 401,
    }


async def test_a_pem_public_key_verifies_tokens_too(tmp_path: Path) -> None:
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "idp.pem").write_bytes(pem)
    settings = _settings(jwt_public_key_file=tmp_path / "idp.pem")

    async with _client(settings) as http:
        good = await http.get("/v1/policies", headers=_token(RSA_KEY, "RS256", "any"))
        bad = await http.get("/v1/policies", headers=_token(STRANGER, "RS256", "any"))

    assert (good.status_code, bad.status_code) == (200, 401)


def test_no_development_minting_when_an_identity_provider_issues_tokens(jwks_url: str) -> None:
    with pytest.raises(ValueError, match="identity provider"):
        mint_token(_settings(jwt_jwks_url=jwks_url), role=Role.OPERATOR)

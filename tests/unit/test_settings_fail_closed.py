"""Secrets fail closed: public development values only in development on loopback, none weak.

The first test probes the real ``loyalty api`` process the way the issue did:
with no secret set, serving on all interfaces must be refused at start-up
with a message that names the variable to set.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from loyalty.config import DEV_JWT_SECRET, Settings, refusals

LOYALTY = Path(sys.executable).parent / "loyalty"
STRONG = "s" * 32


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}


def test_the_api_refuses_to_serve_the_builtin_secret_on_all_interfaces() -> None:
    port = _free_port()
    try:
        done = subprocess.run(
            [str(LOYALTY), "api", "--host", "0.0.0.0", "--port", str(port)],
            env=_clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired as served:
        raise AssertionError("the API started serving with the built-in secret") from served

    assert done.returncode == 2
    assert "LOYALTY_JWT_SECRET" in done.stderr and "0.0.0.0" in done.stderr
    assert "LOYALTY_WEBHOOK_SECRET" in done.stderr


def test_development_on_loopback_may_use_the_builtin_secrets() -> None:
    settings = Settings(environment="development", api_host="127.0.0.1")

    assert refusals(settings, host="localhost") == []
    assert settings.jwt_issuer == "loyalty-dev"


@pytest.mark.parametrize("environment", ["test", "production"])
def test_builtin_secrets_are_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(environment=environment, jwt_issuer="https://id.example.com")

    message = str(refused.value)
    assert "set LOYALTY_JWT_SECRET" in message and "set LOYALTY_WEBHOOK_SECRET" in message


def test_short_secrets_are_refused_everywhere() -> None:
    with pytest.raises(ValidationError, match="LOYALTY_JWT_SECRET must be at least 32 bytes"):
        Settings(environment="development", jwt_secret="too-short")


def test_production_names_its_issuer_and_keeps_webhooks_off_private_networks() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(
            environment="production",
            jwt_secret=STRONG,
            webhook_secret=STRONG,
            webhook_allow_private_targets=True,
        )

    message = str(refused.value)
    assert "set LOYALTY_JWT_ISSUER" in message
    assert "LOYALTY_WEBHOOK_ALLOW_PRIVATE_TARGETS" in message


def test_with_an_identity_provider_no_jwt_secret_is_needed() -> None:
    settings = Settings(
        environment="production",
        jwt_issuer="https://id.example.com",
        jwt_jwks_url="https://id.example.com/.well-known/jwks.json",
        webhook_secret=STRONG,
    )

    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET  # present, never used
    assert refusals(settings, host="0.0.0.0") == []

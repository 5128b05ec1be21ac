"""How settings and the SDK's environment configuration map to ``Client.connect`` options.

TLS and API keys come from the SDK's own variables and profiles
(``temporalio.envconfig``); our ``LOYALTY_TEMPORAL_*`` settings win when set.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from loyalty.config import Settings
from loyalty.temporal_client import connect_options


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as a deployment without any LOYALTY_TEMPORAL_* variable reads them."""
    monkeypatch.delenv("LOYALTY_TEMPORAL_ADDRESS", raising=False)
    monkeypatch.delenv("LOYALTY_TEMPORAL_NAMESPACE", raising=False)
    return Settings()


@pytest.fixture
def no_file(tmp_path: Path) -> dict[str, str]:
    """An environment whose Temporal config file is empty (no profile on this machine leaks in)."""
    empty = tmp_path / "temporal.toml"
    empty.write_text("")
    return {"TEMPORAL_CONFIG_FILE": str(empty)}


def test_without_configuration_it_is_the_local_dev_server_in_plain_text(
    settings: Settings, no_file: dict[str, str]
) -> None:
    assert connect_options(settings, no_file) == {
        "target_host": "127.0.0.1:7233",
        "namespace": "default",
    }


def test_an_api_key_turns_tls_on_for_temporal_cloud(
    settings: Settings, no_file: dict[str, str]
) -> None:
    environ = {
        **no_file,
        "TEMPORAL_ADDRESS": "loyalty.a1b2c.tmprl.cloud:7233",
        "TEMPORAL_NAMESPACE": "loyalty.a1b2c",
        "TEMPORAL_API_KEY": "key-from-the-cloud-console",
    }
    assert connect_options(settings, environ) == {
        "target_host": "loyalty.a1b2c.tmprl.cloud:7233",
        "namespace": "loyalty.a1b2c",
        "api_key": "key-from-the-cloud-console",
        "tls": True,
    }


def test_mutual_tls_reads_the_client_certificate_key_and_server_ca(
    settings: Settings, no_file: dict[str, str], tmp_path: Path
) -> None:
    files = {name: tmp_path / f"{name}.pem" for name in ("cert", "key", "ca")}
    for name, path in files.items():
        path.write_bytes(f"-----{name}-----".encode())
    environ = {
        **no_file,
        "TEMPORAL_ADDRESS": "temporal.internal:7233",
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(files["cert"]),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(files["key"]),
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(files["ca"]),
        "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
    }
    options = connect_options(settings, environ)

    assert options["target_host"] == "temporal.internal:7233"
    assert options["tls"] == TLSConfig(
        client_cert=b"-----cert-----",
        client_private_key=b"-----key-----",
        server_root_ca_cert=b"-----ca-----",
        domain="temporal.internal",
    )


def test_a_profile_from_the_config_file_is_used_when_named(
    settings: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text(
        '[profile.prod]\naddress = "temporal.prod:7233"\nnamespace = "loyalty"\n'
        'api_key = "prod-key"\n[profile.prod.tls]\nserver_name = "temporal.prod"\n'
    )
    environ = {"TEMPORAL_CONFIG_FILE": str(config), "TEMPORAL_PROFILE": "prod"}
    options = connect_options(settings, environ)

    assert options["target_host"] == "temporal.prod:7233"
    assert options["namespace"] == "loyalty"
    assert options["api_key"] == "prod-key"
    assert isinstance(options["tls"], TLSConfig) and options["tls"].domain == "temporal.prod"


def test_explicit_loyalty_settings_win_over_the_profile(no_file: dict[str, str]) -> None:
    settings = Settings(temporal_address="127.0.0.1:17233", temporal_namespace="stack")
    environ = {**no_file, "TEMPORAL_ADDRESS": "elsewhere:7233", "TEMPORAL_API_KEY": "k"}
    options = connect_options(settings, environ)

    assert options["target_host"] == "127.0.0.1:17233"
    assert options["namespace"] == "stack"
    assert options["api_key"] == "k"  # what the settings do not name still comes from the SDK

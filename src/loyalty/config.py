"""Settings from the environment: one pydantic-settings class for every process.

Every tunable number of the engine lives here (timeouts, retries, fraud score
weights) so that an operator changes behaviour through configuration, never by
editing code. Numbers a policy states (limits, caps, review triggers) are read
from the policy folder instead (``loyalty.policies``), so they cannot drift.
Variables are read with the ``LOYALTY_`` prefix, except the conventional
``DATABASE_URL``, ``QDRANT_URL`` and ``OPENAI_*`` names.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from loyalty.domain.fraud import FraudThresholds

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Public development values: printed in this repository, so they protect nothing.
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789abcdef"
DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-change-me"
DEV_ISSUER = "loyalty-dev"
MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    """All configuration of the product; see README for the variable names."""

    # An empty variable (e.g. a blank line of .env.example) counts as unset, never as "".
    model_config = SettingsConfigDict(env_prefix="LOYALTY_", extra="ignore", env_ignore_empty=True)

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    data_dir: Path = PROJECT_ROOT / "data"

    # The app connects as a role that may not alter the schema; migrations run as the owner.
    database_url: str = Field(
        default="postgresql+psycopg://loyalty_service@127.0.0.1:5432/loyalty",
        validation_alias=AliasChoices("DATABASE_URL", "LOYALTY_DATABASE_URL"),
    )
    migration_database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/loyalty"

    # Temporal: address and namespace when set win over the SDK's environment configuration
    # (TEMPORAL_* variables, temporal.toml profiles: TLS, API keys); see temporal_client.py.
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "loyalty-redemptions"
    # A file the worker refreshes while it polls (read by `loyalty up` and healthchecks)
    worker_health_file: Path | None = None
    # Worker slots, pollers and sticky cache (docs/performance.md measured them): the SDK's
    # defaults, except activities, which also size the worker's thread pool (and its
    # database pool, half of it). A cache above 0 needs two workflow pollers (the SDK's rule).
    worker_max_concurrent_workflow_tasks: int = Field(default=100, ge=1)
    worker_max_concurrent_activities: int = Field(default=32, ge=1)
    worker_workflow_task_pollers: int = Field(default=5, ge=1)
    worker_activity_task_pollers: int = Field(default=5, ge=1)
    worker_max_cached_workflows: int = Field(default=1000, ge=0)

    # Partner fulfillment
    partner_url: str = "http://127.0.0.1:8100"
    partner_connect_timeout_s: float = 2.0
    partner_read_timeout_s: float = 5.0
    partner_retry_attempts: int = 3
    partner_retry_timeout_s: float = 10.0
    partner_breaker_failure_threshold: int = 5
    partner_breaker_recovery_s: float = 30.0

    # Redemption limits, review triggers and tier discounts come from the policies
    # (loyalty.policies.rules); only the fraud score's weights are settings.

    # Fraud score tuning: each field is FraudThresholds' field of the same name
    # without the ``fraud_`` prefix (see loyalty.domain.fraud for what each weighs);
    # the young-account window is POL-FRAUD-001's new_account_days.
    fraud_velocity_hour_count: int = 3
    fraud_velocity_hour_weight: int = 30
    fraud_velocity_day_count: int = 6
    fraud_velocity_day_weight: int = 25
    fraud_value_vs_average_percent: int = 400
    fraud_value_vs_average_weight: int = 20
    fraud_value_vs_max_percent: int = 200
    fraud_value_vs_max_weight: int = 20
    fraud_new_channel_weight: int = 10
    fraud_new_device_weight: int = 15
    fraud_new_account_weight: int = 25
    fraud_balance_share_percent: int = 90
    fraud_balance_share_weight: int = 15
    fraud_review_score: int = 40
    fraud_deny_score: int = 80

    # API and auth (the built-in development secrets work only in development on loopback)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_issuer: str = ""  # empty: "loyalty-dev" in development, refused in production
    jwt_audience: str = "loyalty-api"
    # Tokens from an identity provider: RS256/ES256 keys from a JWKS URL or a PEM file.
    jwt_jwks_url: str | None = None
    jwt_public_key_file: Path | None = None
    rate_limit: str = "120/minute"
    max_body_bytes: int = 64 * 1024

    # Webhooks: the key that encrypts each subscription's signing secret at rest
    webhook_secret: SecretStr = SecretStr(DEV_WEBHOOK_SECRET)
    webhook_secret_overlap_s: float = Field(default=24 * 3600.0, ge=0)
    # Development only: deliver to loopback and private addresses (refused in production).
    webhook_allow_private_targets: bool = False

    # Optional: encrypt every Temporal payload (base64 of 32 random bytes)
    payload_key: SecretStr | None = None

    # Earning: the currency purchases are reported in. POL-ACCRUAL-001 gives points per
    # unit of *the* currency; another currency needs a rate no policy states, so it is refused.
    program_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")

    # RAG and agents
    qdrant_url: str | None = Field(
        default=None, validation_alias=AliasChoices("QDRANT_URL", "LOYALTY_QDRANT_URL")
    )
    policies_dir: Path = PROJECT_ROOT / "policies"
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "LOYALTY_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "LOYALTY_OPENAI_BASE_URL")
    )
    openai_model: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_MODEL", "LOYALTY_OPENAI_MODEL")
    )

    # Observability (docs/operations.md): Prometheus listeners, 0 = off, so two
    # processes on one machine never fight over a port; traces off unless an
    # OTLP/HTTP collector is named (the OpenTelemetry variable is honoured too).
    metrics_host: str = "127.0.0.1"
    api_metrics_port: int = Field(default=0, ge=0, le=65535)
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_refresh_s: float = Field(default=30.0, gt=0)
    otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "LOYALTY_OTLP_ENDPOINT"),
    )

    @model_validator(mode="after")
    def _fail_closed(self) -> Settings:
        """Refuse to run with public secrets off a developer's loopback, or weak ones anywhere."""
        problems = refusals(self, host=self.api_host)
        if problems:
            raise ValueError("refusing to start: " + "; ".join(problems))
        if not self.jwt_issuer:
            self.jwt_issuer = DEV_ISSUER
        return self

    @model_validator(mode="after")
    def _sticky_pollers(self) -> Settings:
        """Fail at start-up, naming both variables, where the SDK would fail at the worker's."""
        if self.worker_max_cached_workflows > 0 and self.worker_workflow_task_pollers < 2:
            raise ValueError(
                "LOYALTY_WORKER_WORKFLOW_TASK_POLLERS must be at least 2 while "
                "LOYALTY_WORKER_MAX_CACHED_WORKFLOWS is above 0 (the sticky queue polls too)"
            )
        return self

    @property
    def verifies_with_keys(self) -> bool:
        """Whether tokens come from an identity provider (asymmetric keys, no shared secret)."""
        return bool(self.jwt_jwks_url or self.jwt_public_key_file)

    def fraud_weights(self) -> dict[str, int]:
        """The fraud score's tuning: every ``FraudThresholds`` field the policies leave out."""
        prefix = "fraud_"
        names = (f.name for f in fields(FraudThresholds) if f.name != "new_account_max_age_days")
        return {name: getattr(self, prefix + name) for name in names}

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"


def parse_payload_key(encoded: str) -> bytes:
    """The 32-byte payload encryption key from its base64 form (``LOYALTY_PAYLOAD_KEY``).

    Raises:
        ValueError: not base64, or not 32 bytes.
    """
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError("LOYALTY_PAYLOAD_KEY must be base64") from None
    if len(key) != 32:
        raise ValueError("LOYALTY_PAYLOAD_KEY must be 32 bytes (base64 of `openssl rand 32`)")
    return key


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (``localhost``, 127/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refusals(settings: Settings, *, host: str) -> list[str]:
    """Why ``settings`` may not serve on ``host``; empty when they may. Names each variable.

    The built-in secrets are public, so they are accepted only in development
    and on a loopback address; any secret is at least 32 bytes; production
    names its token issuer and never delivers webhooks to private networks.
    """
    secrets = [("LOYALTY_WEBHOOK_SECRET", settings.webhook_secret, DEV_WEBHOOK_SECRET)]
    if not settings.verifies_with_keys:  # with an identity provider the JWT secret is unused
        secrets.insert(0, ("LOYALTY_JWT_SECRET", settings.jwt_secret, DEV_JWT_SECRET))
    problems = []
    for name, secret, builtin in secrets:
        value = secret.get_secret_value()
        if value == builtin and settings.environment != "development":
            problems.append(f"set {name}: the built-in value works only in development")
        elif value == builtin and not is_loopback(host):
            problems.append(
                f"set {name}: the built-in value works only on a loopback address, not {host!r}"
            )
        elif len(value.encode()) < MIN_SECRET_BYTES:
            problems.append(f"{name} must be at least {MIN_SECRET_BYTES} bytes")
    if settings.payload_key is not None:
        try:
            parse_payload_key(settings.payload_key.get_secret_value())
        except ValueError as error:
            problems.append(str(error))
    if settings.environment == "production":
        if settings.jwt_issuer in ("", DEV_ISSUER):
            problems.append("set LOYALTY_JWT_ISSUER: production has no default token issuer")
        if settings.webhook_allow_private_targets:
            problems.append("LOYALTY_WEBHOOK_ALLOW_PRIVATE_TARGETS is for development only")
    return problems


def variable(field: str) -> str:
    """The environment variable that sets ``field``: its first alias, else ``LOYALTY_<FIELD>``."""
    known = Settings.model_fields.get(field)
    alias = known.validation_alias if known is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"LOYALTY_{field.upper()}"


def explain(error: ValidationError) -> str:
    """Why the environment's settings were refused, each problem after the variable it names."""
    return "; ".join(
        f"{variable(str(loc[0]))}: {problem['msg']}" if (loc := problem["loc"]) else problem["msg"]
        for problem in error.errors()
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()

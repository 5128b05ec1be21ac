"""Settings from the environment: one pydantic-settings class for every process.

Every tunable number lives here (timeouts, limits, fraud thresholds) so that an
operator changes behaviour through configuration, never by editing code.
Variables are read with the ``LOYALTY_`` prefix, except the conventional
``DATABASE_URL``, ``QDRANT_URL`` and ``OPENAI_*`` names.
"""

from __future__ import annotations

from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from loyalty.domain.eligibility import RedemptionLimits
from loyalty.domain.fraud import FraudThresholds
from loyalty.domain.redemption import RedemptionRules
from loyalty.domain.tiers import Tier

PROJECT_ROOT = Path(__file__).resolve().parents[2]

_DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789abcdef"
_DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-change-me"


class Settings(BaseSettings):
    """All configuration of the product; see README for the variable names."""

    model_config = SettingsConfigDict(env_prefix="LOYALTY_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    data_dir: Path = PROJECT_ROOT / "data"

    database_url: str = Field(
        default="postgresql+psycopg://postgres@127.0.0.1:5432/loyalty",
        validation_alias=AliasChoices("DATABASE_URL", "LOYALTY_DATABASE_URL"),
    )

    # Temporal: address and namespace when set win over the SDK's environment configuration
    # (TEMPORAL_* variables, temporal.toml profiles: TLS, API keys); see temporal_client.py.
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "loyalty-redemptions"
    # A file the worker refreshes while it polls (read by `loyalty up` and healthchecks)
    worker_health_file: Path | None = None

    # Partner fulfillment
    partner_url: str = "http://127.0.0.1:8100"
    partner_connect_timeout_s: float = 2.0
    partner_read_timeout_s: float = 5.0
    partner_retry_attempts: int = 3
    partner_retry_timeout_s: float = 10.0
    partner_breaker_failure_threshold: int = 5
    partner_breaker_recovery_s: float = 30.0

    # Redemption rules
    daily_redemption_limit: int = 5
    monthly_redemption_limit: int = 20
    fraud_review_timeout_s: float = 24 * 3600.0
    # POL-APPROVAL-001 (approval_timeout_hours): an unapproved assisted case expires after 72 h
    assisted_approval_timeout_s: float = 72 * 3600.0

    # Fraud thresholds: each field is FraudThresholds' field of the same name
    # without the ``fraud_`` prefix (see loyalty.domain.fraud for what each weighs).
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
    fraud_new_account_max_age_days: int = 14
    fraud_new_account_weight: int = 25
    fraud_balance_share_percent: int = 90
    fraud_balance_share_weight: int = 15
    fraud_review_score: int = 40
    fraud_deny_score: int = 80

    # Pricing: tier discount percent on every redemption
    tier_discount_percent: dict[str, int] = {"bronze": 0, "silver": 5, "gold": 10, "platinum": 15}

    # API and auth
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    jwt_secret: SecretStr = SecretStr(_DEV_JWT_SECRET)
    jwt_issuer: str = "loyalty-dev"
    jwt_audience: str = "loyalty-api"
    webhook_secret: SecretStr = SecretStr(_DEV_WEBHOOK_SECRET)
    rate_limit: str = "120/minute"
    max_body_bytes: int = 64 * 1024

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
    def _refuse_dev_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            if self.jwt_secret.get_secret_value() == _DEV_JWT_SECRET:
                raise ValueError("LOYALTY_JWT_SECRET must be set outside development")
            if self.webhook_secret.get_secret_value() == _DEV_WEBHOOK_SECRET:
                raise ValueError("LOYALTY_WEBHOOK_SECRET must be set outside development")
        return self

    def redemption_rules(self) -> RedemptionRules:
        """The numbers the redemption decision applies (worker and dry run share them)."""
        return RedemptionRules(
            limits=RedemptionLimits(
                per_day=self.daily_redemption_limit, per_month=self.monthly_redemption_limit
            ),
            fraud=self.fraud_thresholds(),
            tier_discount_percent={
                Tier(tier): percent for tier, percent in self.tier_discount_percent.items()
            },
        )

    def fraud_thresholds(self) -> FraudThresholds:
        prefix = "fraud_"
        values = {f.name: getattr(self, prefix + f.name) for f in fields(FraudThresholds)}
        return FraudThresholds(**values)

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()

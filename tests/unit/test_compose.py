"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

What can be checked by reading: the services and what each waits for, a
healthcheck on every long-running service, pinned images, that every file and
build context referenced exists, that only the API and the Web UI publish a
port, that secrets come only from the environment, and that the variables set
for the product are ones its settings read. (docs/deploy.md says what was run
against a real engine: nothing, there is none here.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.api.enums.v1 import IndexedValueType

from loyalty.config import Settings
from loyalty.contracts import search

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
ONE_SHOT = {"temporal-schema", "temporal-setup", "init"}
LONG_RUNNING = {
    "postgres",
    "temporal",
    "temporal-ui",
    "qdrant",
    "partner",
    "worker",
    "api",
}
PUBLISHED = {"api", "temporal-ui"}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PWD|API_KEY")
ENV_REFERENCE = re.compile(r"^\$\{[A-Z_]+(:\?[^}]*|:-)?\}$")


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def test_the_stack_has_exactly_its_services() -> None:
    assert set(SERVICES) == ONE_SHOT | LONG_RUNNING


@pytest.mark.parametrize("name", sorted(LONG_RUNNING))
def test_every_long_running_service_has_a_healthcheck_and_restarts(name: str) -> None:
    service = SERVICES[name]
    assert service["healthcheck"]["test"], name
    assert service.get("restart") == "unless-stopped", name


@pytest.mark.parametrize("name", sorted(ONE_SHOT))
def test_one_shot_jobs_run_once(name: str) -> None:
    assert SERVICES[name].get("restart") == "no"


def test_every_dependency_waits_for_health_or_completion() -> None:
    for name, service in SERVICES.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            expected = (
                "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            )
            assert rule == {"condition": expected}, f"{name} -> {dependency}"


def test_the_start_order_reaches_the_api_through_every_setup_step() -> None:
    def upstream(name: str) -> set[str]:
        direct = set(SERVICES[name].get("depends_on") or {})
        return direct.union(*(upstream(d) for d in direct))

    assert upstream("api") == SERVICES.keys() - {"api", "temporal-ui"}
    assert {"temporal-schema", "postgres"} <= upstream("temporal")
    assert "worker" in upstream("init"), "ingestion runs on the worker"


def test_only_the_api_and_the_web_ui_publish_ports_on_loopback_by_default() -> None:
    publishing = {name for name, service in SERVICES.items() if service.get("ports")}
    assert publishing == PUBLISHED
    for name in PUBLISHED:
        [mapping] = SERVICES[name]["ports"]
        assert mapping.startswith("${") and ":-127.0.0.1:" in mapping, mapping
    assert not any("network_mode" in s or "expose" in s for s in SERVICES.values())


def test_every_image_is_pinned() -> None:
    for name, service in SERVICES.items():
        image = service.get("image", "")
        if "build" in service:
            continue  # our own image, built from this checkout
        repository, _, tag = image.rpartition(":")
        assert repository and re.search(r"\d+\.\d+", tag) and tag != "latest", (name, image)


def test_every_build_context_and_mounted_file_exists() -> None:
    referenced = []
    for service in SERVICES.values():
        if "build" in service:
            context = ROOT / service["build"]
            referenced += [context, context / "Dockerfile"]
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                referenced.append(ROOT / source)
    assert referenced and all(path.exists() for path in referenced), [
        str(p) for p in referenced if not p.exists()
    ]


def test_secrets_come_only_from_the_environment() -> None:
    for name, service in SERVICES.items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert ENV_REFERENCE.match(value), f"{name}: {key} is not from the environment"
    for name in ("worker", "api", "init"):
        env = environment(SERVICES[name])
        assert env["LOYALTY_ENVIRONMENT"] == "production", "production refuses dev secrets"
        assert env["LOYALTY_JWT_ISSUER"].startswith("${LOYALTY_JWT_ISSUER:?")
        assert env["LOYALTY_WEBHOOK_SECRET"].startswith("${LOYALTY_WEBHOOK_SECRET:?")
        # the app logs in as its own least-privilege role, never as the schema owner
        assert "loyalty_service:${LOYALTY_APP_DB_PASSWORD:?" in env["DATABASE_URL"]
    init = environment(SERVICES["init"])
    assert "loyalty_owner:${LOYALTY_OWNER_DB_PASSWORD:?" in init["LOYALTY_MIGRATION_DATABASE_URL"]


def test_the_product_variables_are_ones_its_settings_read() -> None:
    known = set()
    for field_name, field in Settings.model_fields.items():
        known.add(f"LOYALTY_{field_name.upper()}")
        aliases = getattr(field.validation_alias, "choices", None) or []
        known.update(str(alias) for alias in aliases)
    for name in ("worker", "api", "init", "partner"):
        env = environment(SERVICES[name])
        assert set(env) <= known, f"{name}: {sorted(set(env) - known)}"


def test_the_setup_job_registers_the_search_attributes_the_workflows_publish() -> None:
    script = (ROOT / "deploy" / "temporal" / "setup-namespace.sh").read_text()
    registered = dict(re.findall(r"\b(Loyalty\w+):(Keyword|Int)\b", script))
    expected = {
        key.name: IndexedValueType.Name(key.indexed_value_type).removeprefix("INDEXED_VALUE_TYPE_")
        for key in search.ALL
    }
    assert {name: kind.upper() for name, kind in registered.items()} == expected


def test_the_image_runs_as_a_fixed_unprivileged_user_on_a_pinned_base() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.M)
    assert bases and all(re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", b) for b in bases)
    [user] = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.M)
    assert user.split(":")[0] not in {"0", "root"}
    assert dockerfile.rstrip().splitlines()[-1].startswith("CMD")
    assert user in dockerfile.split("\nFROM ")[-1], "the final stage runs as that user"


def test_the_deploy_guide_names_every_setting() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    names = set()
    for field_name, field in Settings.model_fields.items():
        aliases = getattr(field.validation_alias, "choices", None)
        names.add(str(aliases[0]) if aliases else f"LOYALTY_{field_name.upper()}")
    assert not {name for name in names if f"`{name}`" not in guide}

"""The OpenAPI document as integrators read it: ids, errors, lists, examples, the docs page.

Every check walks the app's own document, so a route added tomorrow (promotions,
say) is held to the same rules the day it lands, without editing this file.
Nothing here gets past the schema or the docs page: no database, no Temporal.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import jsonschema
import pytest

from loyalty.api import create_app
from loyalty.api.auth import Role, mint_token
from loyalty.config import Settings
from tests.support import temporal as support

PUBLIC_PATHS = {"/healthz", "/readyz"}  # no token: no 401, and no input to reject with 422
ERROR_ENVELOPE = "#/components/schemas/ErrorResponse"
# resource[.sub_resource...].verb: the path's literal segments (after /v1, '-' -> '_'), in order,
# then at most one verb (get, list, create, update, delete, or the action the path ends with).
OPERATION_ID = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
VERBS = {"get", "list", "create", "update", "delete"}
HEALTH_IDS = {"/healthz": "health.live", "/readyz": "health.ready"}

Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="module")
def settings() -> Settings:
    return support.test_settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        partner_url="http://127.0.0.1:9",
    )


@pytest.fixture(scope="module")
def document(settings: Settings) -> dict[str, Any]:
    return create_app(settings).openapi()


@pytest.fixture(scope="module")
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


def _operations(document: dict[str, Any]) -> Iterator[Operation]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _literals(path: str) -> list[str]:
    segments = [s for s in path.strip("/").split("/") if s and s != "v1"]
    return [s.replace("-", "_") for s in segments if not s.startswith("{")]


def test_every_operation_has_a_readable_stable_unique_id(document: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    wrong: list[str] = []
    for method, path, operation in _operations(document):
        operation_id = operation.get("operationId", "")
        where = f"{method} {path}: {operation_id!r}"
        if operation_id in seen:
            wrong.append(f"{where} also used by {seen[operation_id]}")
        seen[operation_id] = f"{method} {path}"
        if path in HEALTH_IDS:
            if operation_id != HEALTH_IDS[path]:
                wrong.append(where)
            continue
        parts = operation_id.split(".")
        literals = _literals(path)
        verb = parts[len(literals) :]
        follows_rule = (
            OPERATION_ID.match(operation_id) is not None
            and parts[: len(literals)] == literals
            and len(verb) == 1
            and verb[0] in VERBS
        ) or (
            # an action: the path ends with it (POST .../{id}/cancel -> redemptions.cancel)
            OPERATION_ID.match(operation_id) is not None
            and parts == literals
            and len(literals) >= 2
        )
        if not follows_rule:
            wrong.append(where)
    assert not wrong, "operation ids off the rule:\n" + "\n".join(wrong)


def test_every_route_documents_its_errors_in_the_one_envelope(document: dict[str, Any]) -> None:
    wrong: list[str] = []
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        if path not in PUBLIC_PATHS:
            wrong += [f"{method} {path}: no {c}" for c in ("401", "422") if c not in responses]
        for code, response in responses.items():
            if not code.startswith(("4", "5")) or path in PUBLIC_PATHS:
                continue
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") != ERROR_ENVELOPE:
                wrong.append(f"{method} {path}: {code} is not the error envelope: {schema}")
    assert not wrong, "\n".join(wrong)


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in {"src", "href"} and value]


async def test_docs_page_loads_every_asset_from_this_server(http: httpx.AsyncClient) -> None:
    page = await http.get("/docs")
    assert page.status_code == 200
    assets = _Assets()
    assets.feed(page.text)
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets.urls), assets.urls
    # No host anywhere on the page: not in a tag, not in the inline script.
    assert re.findall(r"(?:https?:)?//[\w.-]+", page.text) == []
    for url in assets.urls:
        assert url.startswith("/"), url
        asset = await http.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
    assert (await http.get("/docs/oauth2-redirect")).status_code == 200
    assert (await http.get("/redoc")).status_code == 404  # ReDoc would need its CDN


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _ok_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    ok = operation["responses"].get("200", {})
    return _resolve(document, ok.get("content", {}).get("application/json", {}).get("schema", {}))


def _is_list(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    """A list route: named so, or answering a top-level array of records."""
    if operation["operationId"].endswith(".list"):
        return True
    properties = _ok_schema(document, operation).get("properties", {})
    return any(
        _resolve(document, schema).get("type") == "array"
        for name, schema in properties.items()
        if name in {"data", "items", "results", "entries"}
    )


def test_every_list_answers_the_one_envelope_paged_by_cursor(document: dict[str, Any]) -> None:
    lists = [
        (path, operation)
        for method, path, operation in _operations(document)
        if method == "GET" and _is_list(document, operation)
    ]
    assert len(lists) >= 12  # redemptions, ledger, catalogs, expiry, webhooks, policies, queues
    wrong: list[str] = []
    for path, operation in lists:
        schema = _ok_schema(document, operation)
        properties = schema.get("properties", {})
        data = properties.get("data", {})
        next_cursor = properties.get("next_cursor", {})
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if not operation["operationId"].endswith(".list"):
            wrong.append(f"{path}: a list whose id does not end in .list")
        if data.get("type") != "array" or not {"data", "next_cursor"} <= set(schema["required"]):
            wrong.append(f"{path}: no required `data` array")
        if sorted(t.get("type", "") for t in next_cursor.get("anyOf", [])) != ["null", "string"]:
            wrong.append(f"{path}: `next_cursor` is not string | null: {next_cursor}")
        if {"items", "next_before", "next_offset"} & set(properties):
            wrong.append(f"{path}: an old paging field: {sorted(properties)}")
        if not {"cursor", "limit"} <= query:
            wrong.append(f"{path}: query {sorted(query)} lacks cursor and limit")
    assert not wrong, "\n".join(wrong)


def _examples(document: dict[str, Any], media: dict[str, Any]) -> list[Any]:
    """The examples an integrator sees for a body: on the media type or on its schema."""
    found = [media["example"]] if "example" in media else []
    found += [e["value"] for e in media.get("examples", {}).values() if "value" in e]
    return found + _resolve(document, media.get("schema", {})).get("examples", [])


def _bodies(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON request body and 2xx JSON response, named for the failure message."""
    for method, path, operation in _operations(document):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            yield f"{method} {path} request", body
        for code, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json")
            if code.startswith("2") and media is not None:
                yield f"{method} {path} {code}", media


def test_every_request_and_response_has_an_example_valid_against_its_schema(
    document: dict[str, Any],
) -> None:
    missing: list[str] = []
    invalid: list[str] = []
    for where, media in _bodies(document):
        examples = _examples(document, media)
        if not examples:
            missing.append(where)
        schema = {**media["schema"], "components": document["components"]}
        validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        invalid += [
            f"{where}: {error.message}" for e in examples for error in validator.iter_errors(e)
        ]
    assert not invalid, "\n".join(invalid)
    assert not missing, "no example:\n" + "\n".join(missing)


async def test_a_misspelt_query_parameter_is_refused_naming_it(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    headers = {"Authorization": f"Bearer {mint_token(settings, role=Role.OPERATOR)}"}
    # Refused after the role check and before the route reads anything (no database here).
    response = await http.get("/v1/rewards", params={"curser": "100"}, headers=headers)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "curser", "reason": "unknown query parameter"}
    ]

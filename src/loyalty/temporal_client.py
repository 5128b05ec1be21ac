"""One way to reach Temporal: the same connection options and data converter everywhere.

Client, worker, replayer and tests must share one data converter; the pydantic
converter turns the contracts into plain JSON that any SDK can read.

Connection options come from the SDK's environment configuration
(``temporalio.envconfig``): a profile of a TOML file (``TEMPORAL_CONFIG_FILE``,
``TEMPORAL_PROFILE``) and the ``TEMPORAL_*`` variables, which carry TLS (client
certificate and key, server CA, server name) and API keys (Temporal Cloud). So
the worker, the API and the CLI reach a self-hosted cluster with mTLS or Temporal
Cloud the way every Temporal tool does. ``LOYALTY_TEMPORAL_ADDRESS`` and
``LOYALTY_TEMPORAL_NAMESPACE``, when set, win over the profile (``loyalty up``
uses them to point its processes at its own dev server); with neither, the
defaults are ``127.0.0.1:7233`` and ``default``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfigProfile, ClientConnectConfig

from loyalty.config import Settings, parse_payload_key
from loyalty.temporal_codec import EncryptionCodec

DATA_CONVERTER = pydantic_data_converter


def connect_options(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> ClientConnectConfig:
    """Keyword arguments of ``Client.connect``: the SDK's profile, then our explicit settings.

    ``environ`` defaults to the process environment (tests pass their own).
    """
    options = ClientConfigProfile.load(override_env_vars=environ).to_client_connect_config()
    explicit = settings.model_fields_set
    if "temporal_address" in explicit or "target_host" not in options:
        options["target_host"] = settings.temporal_address
    if "temporal_namespace" in explicit or "namespace" not in options:
        options["namespace"] = settings.temporal_namespace
    return options


async def connect(settings: Settings, **options: Any) -> Client:
    """Connect; ``options`` (runtime, interceptors) come from ``loyalty.observability``."""
    return await Client.connect(
        **connect_options(settings), data_converter=data_converter(settings), **options
    )


def data_converter(settings: Settings) -> DataConverter:
    """The one converter of every process: pydantic JSON, encrypted with LOYALTY_PAYLOAD_KEY."""
    if settings.payload_key is None:
        return DATA_CONVERTER
    codec = EncryptionCodec(parse_payload_key(settings.payload_key.get_secret_value()))
    return dataclasses.replace(DATA_CONVERTER, payload_codec=codec)


async def ensure_search_attributes(
    client: Client, namespace: str, keys: Sequence[SearchAttributeKey[Any]]
) -> list[str]:
    """Register the custom search attributes that are missing; returns the names added."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing: dict[str, IndexedValueType.ValueType] = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in keys
        if key.name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=namespace,
                search_attributes=missing,
            )
        )
    return sorted(missing)

"""One way to reach Temporal: the same address, namespace and data converter everywhere.

Client, worker, replayer and tests must share one data converter; the pydantic
converter turns the contracts into plain JSON that any SDK can read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
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

from loyalty.config import Settings, parse_payload_key
from loyalty.temporal_codec import EncryptionCodec

DATA_CONVERTER = pydantic_data_converter


def data_converter(settings: Settings) -> DataConverter:
    """The one converter of every process: pydantic JSON, encrypted with LOYALTY_PAYLOAD_KEY."""
    if settings.payload_key is None:
        return DATA_CONVERTER
    codec = EncryptionCodec(parse_payload_key(settings.payload_key.get_secret_value()))
    return dataclasses.replace(DATA_CONVERTER, payload_codec=codec)


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )


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

"""One way to reach Temporal: the same address, namespace and data converter everywhere.

Client, worker, replayer and tests must share one data converter; the pydantic
converter turns the contracts into plain JSON that any SDK can read.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from loyalty.config import Settings

DATA_CONVERTER = pydantic_data_converter


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
    )

"""How many Temporal calls a POST /v1/redemptions makes (``docs/performance.md``).

Counted at the client's gRPC layer, against the real test server: a POST that starts
the saga needs only the start; a repeat joins the run and describes it (its status,
and the memo's fingerprint of the first body); a different body is still a 409 naming
the field that differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness


@contextmanager
def _temporal_calls(api: ApiHarness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()
    service = api.saga.client.service_client
    send = service._rpc_call

    async def counted(*args: Any, rpc: str, **kwargs: Any) -> Any:
        calls[rpc] += 1
        return await send(*args, rpc=rpc, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(service, "_rpc_call", counted)
        yield calls


async def test_a_new_redemption_is_one_call_a_repeat_two(
    api: ApiHarness, new_member: MemberFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = new_member(points=5_000)
    first = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-GIFT-10"}

    with _temporal_calls(api, monkeypatch) as new:
        started = await api.redeem(first, api.customer(member))
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "running"
    redemption_id = started.json()["redemption_id"]
    await api.wait_for(redemption_id, FINAL, closed=True)
    with _temporal_calls(api, monkeypatch) as repeat:
        again = await api.redeem(first, api.customer(member))
    with _temporal_calls(api, monkeypatch) as conflict:
        other = await api.redeem({**first, "reward_id": "R-GIFT-25"}, api.customer(member))

    assert dict(new) == {"start_workflow_execution": 1}
    assert (again.status_code, again.json()["redemption_id"]) == (202, redemption_id)
    assert again.json()["status"] == "completed"
    assert dict(repeat) == {"start_workflow_execution": 1, "describe_workflow_execution": 1}
    assert other.status_code == 409
    assert "reward_id" in other.json()["error"]["message"]
    assert sum(conflict.values()) <= 3

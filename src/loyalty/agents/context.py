"""What the agents may read about a member, and the protocol that supplies it.

Agents never open a database: the worker implements
:class:`MemberContextSource` over the ledger and catalog and hands it in, so
the plugins and proposers are testable with an in-memory fake. The models are
pydantic so they serialise to the JSON a chat model reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class MemberContext(_Frozen):
    """The member as an agent sees it.

    Attributes:
        segments: Marketing segments, e.g. ``churn_risk``.
        notes: Free text from members or agents: untrusted evidence, never instruction.
    """

    member_id: str
    tier: str
    status: str
    region: str
    joined_on: dt.date
    segments: list[str] = []
    churn_risk_score: float | None = None
    notes: str = ""


class ActivityItem(_Frozen):
    occurred_at: dt.datetime
    kind: str
    points: int
    description: str = ""


class ExpiringPoints(_Frozen):
    points: int
    expires_at: dt.datetime


class BalanceSnapshot(_Frozen):
    available: int
    held: int
    expiring: list[ExpiringPoints] = []


class CatalogItem(_Frozen):
    reward_id: str
    name: str
    category: str
    point_cost: int
    min_tier: str
    active: bool
    inventory: int | None = None


class MemberContextSource(Protocol):
    """Read-only case data; implemented by the worker over the ledger.

    Every method raises ``loyalty.errors.NotFoundError`` for an unknown member.
    """

    def get_member(self, member_id: str) -> MemberContext: ...

    def list_recent_activity(self, member_id: str, *, limit: int) -> list[ActivityItem]: ...

    def get_balance(self, member_id: str) -> BalanceSnapshot: ...

    def list_rewards(self, member_id: str) -> list[CatalogItem]: ...

"""What the agents may read about a member and a case, and the protocols that supply it.

Agents never read the ledger: the worker implements :class:`MemberContextSource`
(what a proposer may look at) and :class:`CaseFactsSource` (the guardrails'
typed facts) over the ledger and catalog, and hands them in, so the plugins,
proposers and the proposal service are testable with in-memory fakes. The
context models are pydantic so they serialise to the JSON a chat model reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from loyalty.domain.eligibility import EligibilityResult
from loyalty.domain.guardrail_types import BudgetUsage, CreditHistory, MemberFacts, RewardFacts


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


class CaseFactsSource(Protocol):
    """The typed facts the guardrails check a proposal against, read at proposal time.

    ``member`` raises ``loyalty.errors.NotFoundError`` for an unknown member.
    """

    def member(self, member_id: str) -> MemberFacts: ...

    def history(self, member_id: str) -> CreditHistory: ...

    def budget(self) -> BudgetUsage: ...

    def reward(
        self, member_id: str, reward_id: str
    ) -> tuple[RewardFacts | None, EligibilityResult | None]:
        """The reward and the member's eligibility for one unit; ``(None, None)`` if unknown."""
        ...

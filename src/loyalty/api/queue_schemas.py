"""Public JSON shapes of the staff queues, the operators' actions and the two logs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import Field

from loyalty.api.schemas import ListPage, Reason, Schema

# Queues: base64url of Temporal's page token, a dot, a checksum. Logs: the last row id shown.
QUEUE_CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,4000}={0,2}\.[0-9a-f]{16}$"
LOG_CURSOR_PATTERN = r"^[0-9]{1,18}$"


class QueueItem(Schema):
    workflow_id: str = Field(examples=["redemption-member~M0001~order-1"])
    workflow_type: str = Field(examples=["Redemption"])
    member_id: str | None
    reward_id: str | None
    points: int | None
    status: str | None = Field(description="The LoyaltyStatus search attribute.")
    channel: str | None
    requested_by: str | None
    started_at: dt.datetime | None
    summary: str | None = Field(description="The run's one-line memo, as the Web UI shows it.")
    link: str = Field(description="Where to read it and act on it in this API.")


class QueuePage(ListPage):
    data: list[QueueItem]


class CappedPurchasePublic(Schema):
    """An order over POL-ACCRUAL-001's per-purchase cap, for the fraud team to check."""

    accrual_id: str
    member_id: str
    order_id: str
    source: str = Field(description="The integration (shop, point of sale) that reported it.")
    amount: Decimal
    currency: str
    points: int = Field(description="What it earned: the cap.")
    points_before_cap: int = Field(description="What it would have earned without the cap.")
    status: str = Field(description="pending | available | cancelled | reversed")
    created_at: dt.datetime


class CappedPurchasePage(ListPage):
    data: list[CappedPurchasePublic]


class OperatorBody(Schema):
    reason: Reason


class AuditEntryPublic(Schema):
    entry_id: int
    actor: str
    role: str
    action: str = Field(examples=["redemption.resolve"])
    target: str
    reason: str
    details: dict[str, Any]
    created_at: dt.datetime


class AuditPage(ListPage):
    data: list[AuditEntryPublic]


class DecisionEntryPublic(Schema):
    entry_id: int
    decision_id: str
    kind: str = Field(description="proposal | decision")
    case_id: str
    member_id: str
    purpose: str
    requested_by: str
    proposer: str
    proposal: dict[str, Any] | None
    retrieved: list[dict[str, Any]] = Field(description="The policy chunks retrieved, cited.")
    verdict: str | None
    verdict_points: int | None
    verdict_reasons: list[dict[str, Any]]
    final_decision: str | None
    final_points: int | None
    approver: str | None
    second_approver: str | None
    decision_reason: str
    created_at: dt.datetime


class DecisionPage(ListPage):
    data: list[DecisionEntryPublic]

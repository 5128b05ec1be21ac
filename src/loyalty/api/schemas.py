"""Public JSON shapes of the API: what clients send and get, documented for OpenAPI.

Separate from the ORM tables and from the workflow contracts on purpose: each
can evolve without silently changing the others.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from loyalty.contracts.redemption import RedemptionStatus
from loyalty.contracts.webhooks import EventType

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
# redemption-<scope>~<member_id>~<request_id> (and redemption-<request_id> from before scopes)
REDEMPTION_ID_PATTERN = r"^redemption-[A-Za-z0-9][A-Za-z0-9._:~-]{0,255}$"


# Printable text (tabs and newlines allowed), starting and ending with a visible character.
TEXT_PATTERN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"
REASON_PATTERN = r"^[^\s\x00-\x1F\x7F](?:[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*[^\s\x00-\x1F\x7F])?$"
URL_PATTERN = r"^https?://[^\s/?#@]+(?:[/?#]\S*)?$"
# The longest a POST may hold its connection waiting for a saga (``wait``): longer waits poll.
MAX_WAIT_S = 60.0


def printable(value: str) -> str:
    """Refuse lone surrogates (JSON allows them; PostgreSQL cannot store them)."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("invalid unicode: lone surrogate")
    return value


Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
RequestId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
        description="Client idempotency key: the same key with the same body is one redemption.",
        examples=["order-2026-0001"],
    ),
]
Reason = Annotated[
    str,
    StringConstraints(min_length=3, max_length=500, pattern=REASON_PATTERN),
    AfterValidator(printable),
    Field(description="Why (3-500 printable characters, no edge spaces); audited."),
]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Schema):
    field: str = Field(description="Dotted path of the offending field, or empty.")
    reason: str


class ErrorInfo(Schema):
    code: str = Field(description="Stable machine-readable code, e.g. `not_found`.")
    message: str
    details: list[ErrorDetail]


class ErrorResponse(Schema):
    """Every 4xx and 5xx response has this shape."""

    error: ErrorInfo


# -- redemptions ----------------------------------------------------------------


class RedemptionCheckBody(Schema):
    member_id: Id = Field(description="The member redeeming.", examples=["M0001"])
    reward_id: Id = Field(description="Catalog reward id.", examples=["R-COFFEE"])
    quantity: int = Field(default=1, ge=1, le=100, description="Units of the reward.")
    device_id: Id | None = Field(
        default=None,
        description="Device fingerprint. Without one the device counts as unknown (a fraud"
        " signal). The channel is not sent: it is the token's client type.",
    )
    promo_code: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
        description="A promo code the member entered (POL-PROMO-001: limited uses per member).",
    )


class RedemptionCreate(RedemptionCheckBody):
    request_id: RequestId


class Links(Schema):
    self: str = Field(description="Where to poll this resource.")


class RedemptionAccepted(Schema):
    redemption_id: str = Field(
        description="`redemption-<member|staff>~<member_id>~<request_id>`; use it in every path."
    )
    request_id: str
    status: RedemptionStatus
    links: Links


class PriceLinePublic(Schema):
    kind: str = Field(description="base | tier_discount | promotion | total ...")
    source_id: str
    description: str
    points: int


class StepPublic(Schema):
    step: str
    status: str = Field(description="ok | failed | compensated | skipped")
    at: dt.datetime
    detail: str


class RedemptionPublic(Schema):
    redemption_id: str
    request_id: str
    member_id: str
    reward_id: str
    quantity: int
    channel: str
    status: RedemptionStatus
    live: bool = Field(description="True while the workflow runs (state from its query).")
    live_state_unavailable: bool = Field(
        default=False,
        description="True when the workflow runs but no worker answered its state query (a"
        " worker outage): the state is the last one stored, the status the run's own.",
    )
    current_step: str | None
    points: int = Field(description="Price charged (or to be charged), in whole points.")
    breakdown: list[PriceLinePublic]
    reasons: list[str] = Field(description="Why it was refused, compensated or reviewed.")
    fraud_verdict: str | None = Field(description="Staff only; null for customers.")
    fraud_score: int | None = Field(description="Staff only; null for customers.")
    review_outcome: str | None = Field(description="Staff only; null for customers.")
    reviewed_by: str | None = Field(description="Staff only; null for customers.")
    voucher_id: str | None
    voucher_code: str | None
    steps: list[StepPublic]
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class RedemptionSummary(Schema):
    redemption_id: str
    request_id: str
    member_id: str
    reward_id: str
    quantity: int
    channel: str
    status: str
    points: int
    refunded_points: int
    created_at: dt.datetime
    updated_at: dt.datetime


NEXT_CURSOR = "Pass as `cursor` for the next page; null at the end."


class ListPage(Schema):
    """The one list envelope (see ``api.paging``); subclasses declare ``data: list[Item]``."""

    next_cursor: str | None = Field(description=NEXT_CURSOR)


class RedemptionsPublic(ListPage):
    data: list[RedemptionSummary]


class CancelBody(Schema):
    reason: Reason = "cancelled by request"


class ReviewBody(Schema):
    reason: Reason


class ActionResult(Schema):
    redemption_id: str
    accepted: bool
    status: RedemptionStatus = Field(description="Status after the action (or so far).")
    message: str


class RefundCreate(Schema):
    request_id: RequestId
    quantity: int | None = Field(default=None, ge=1, le=100, description="Omit to refund all.")
    reason: Reason


class RefundPublic(Schema):
    refund_id: str
    redemption_id: str
    status: Literal["completed", "running", "awaiting_approval"]
    review_reasons: list[str] = Field(
        default_factory=list, description="Why loyalty operations must approve it first."
    )
    points_refunded: int | None = None
    quantity_refunded: int | None = None
    voucher_voided: bool | None = None
    total_refunded_points: int | None = None


# -- dry run ---------------------------------------------------------------------


class BalanceCheck(Schema):
    available: int
    held: int


class EligibilityCheck(Schema):
    eligible: bool
    reasons: list[str]
    codes: list[str]


class FraudCheck(Schema):
    verdict: Literal["approve", "review", "deny"]
    score: int
    reasons: list[str]


class PriceCheck(Schema):
    total: int
    lines: list[PriceLinePublic]
    applied_promotion_ids: list[str]


class ValidationResult(Schema):
    member_id: str
    reward_id: str
    quantity: int
    outcome: Literal["would_proceed", "would_need_review", "would_be_rejected"]
    reasons: list[str]
    balance: BalanceCheck
    eligibility: EligibilityCheck
    fraud: FraudCheck | None = Field(
        description="Null when eligibility already refuses, and always for customers."
    )
    price: PriceCheck | None = Field(description="Null when the saga would stop before pricing.")
    sufficient_points: bool | None


# -- members and rewards -------------------------------------------------------------


class BalancePublic(Schema):
    member_id: str
    available: int = Field(description="Spendable points (expired points never count).")
    held: int = Field(description="Reserved by redemptions in flight.")
    expiring_soon: int = Field(description="Available points expiring within 30 days.")
    expiring_soon_before: dt.datetime
    as_of: dt.datetime
    pending: int = Field(
        default=0, description="Earned on purchases, spendable after the pending period."
    )
    owed: int = Field(
        default=0,
        description="Taken back by returns after being spent; recovered from future earning.",
    )


class LedgerEntryPublic(Schema):
    entry_id: int
    kind: str = Field(
        description="accrue | hold | release | capture | reverse | expire | adjust"
        " | pend | settle | unpend | clawback"
    )
    delta_available: int
    delta_held: int
    available_after: int
    held_after: int
    delta_pending: int = 0
    pending_after: int = 0
    delta_owed: int = 0
    owed_after: int = 0
    expires_at: dt.datetime | None
    reason: str
    created_at: dt.datetime


class LedgerPage(ListPage):
    data: list[LedgerEntryPublic]


class RewardPublic(Schema):
    reward_id: str
    name: str
    category: str
    point_cost: int
    min_tier: str
    inventory: int | None = Field(description="Units left; null means unlimited.")
    regions: list[str] | None = Field(description="Where it is offered; null means everywhere.")


class RewardsPublic(ListPage):
    data: list[RewardPublic]


# -- webhooks and health ---------------------------------------------------------------


class WebhookCreate(Schema):
    url: str = Field(
        max_length=2000,
        pattern=URL_PATTERN,
        description="Public HTTPS endpoint: loopback, private, link-local, CGNAT, ULA and"
        " metadata addresses are refused, here and again at every delivery.",
        examples=["https://example.com/hooks/loyalty"],
    )
    events: list[EventType] = Field(
        default_factory=lambda: list(EventType), min_length=1, description="Defaults to all."
    )
    description: Annotated[str, AfterValidator(printable)] = Field(
        default="", max_length=500, pattern=TEXT_PATTERN
    )


class WebhookPublic(Schema):
    id: str
    url: str
    events: list[str]
    description: str
    created_by: str
    created_at: dt.datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="The signing secret (Standard Webhooks, `whsec_...`); shown only here."
    )


class WebhookSecretRotated(Schema):
    id: str
    secret: str = Field(description="The new signing secret. Shown only here: store it.")
    previous_secret_expires_at: dt.datetime = Field(
        description="Until then deliveries carry a signature with the previous secret too."
    )


class WebhooksPublic(ListPage):
    data: list[WebhookPublic]


class Health(Schema):
    status: Literal["ok"]


class Readiness(Schema):
    status: Literal["ready", "unavailable"]
    checks: dict[str, str] = Field(description="Per dependency: `ok` or what failed.")

"""Activity names and payloads: the wire contract between workflows and workers.

Names are stable strings so a worker in another language can serve them;
payloads are JSON objects. Side-effecting activities take an explicit
``idempotency_key`` (``<workflow_id>:<step>``) and are safe to run twice.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from loyalty.workflows.contracts import PriceLine, RedemptionState

CHECK_BALANCE = "CheckBalance"
CHECK_ELIGIBILITY = "CheckEligibility"
ASSESS_FRAUD = "AssessFraud"
PRICE_OFFER = "PriceOffer"
RESERVE_POINTS = "ReservePoints"
RELEASE_POINTS = "ReleasePoints"
CAPTURE_POINTS = "CapturePoints"
REVERSE_CAPTURE = "ReverseCapture"
FULFILL_REWARD = "FulfillReward"
VOID_FULFILLMENT = "VoidFulfillment"
RECORD_REDEMPTION = "RecordRedemption"
NOTIFY_REDEMPTION = "NotifyRedemption"
PREPARE_REFUND = "PrepareRefund"
REFUND_POINTS = "RefundPoints"


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MemberRef(Payload):
    member_id: str


class BalanceSnapshot(Payload):
    member_id: str
    available: int
    held: int
    member_status: str


class RedemptionCheck(Payload):
    """What every read-only check needs to know about the redemption."""

    redemption_id: str
    member_id: str
    reward_id: str
    quantity: int
    channel: str
    device_id: str | None = None


class EligibilityVerdict(Payload):
    eligible: bool
    reasons: list[str] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)


class FraudVerdict(Payload):
    verdict: str  # approve | review | deny
    score: int
    reasons: list[str] = Field(default_factory=list)


class OfferPrice(Payload):
    total: int
    lines: list[PriceLine]
    applied_promotion_ids: list[str] = Field(default_factory=list)


class ReservePoints(Payload):
    member_id: str
    points: int
    idempotency_key: str
    reference: str


class HoldRef(Payload):
    """Names a hold by the key that created it, so a compensation never needs its id."""

    hold_key: str
    idempotency_key: str
    reason: str = ""


class ReverseCapture(Payload):
    hold_key: str
    points: int
    idempotency_key: str
    reason: str
    actor: str


class PointsMoved(Payload):
    hold_id: int | None
    available_after: int
    held_after: int
    applied: bool = True  # False when there was nothing to do (e.g. no hold to release)


class FulfillReward(Payload):
    idempotency_key: str
    member_id: str
    reward_id: str
    quantity: int


class Fulfillment(Payload):
    voucher_id: str
    code: str
    status: str


class VoidFulfillment(Payload):
    idempotency_key: str


class VoidOutcome(Payload):
    status: str  # voided | not_found


class RecordRedemption(Payload):
    state: RedemptionState


class NotifyRedemption(Payload):
    event: str
    state: RedemptionState


class PrepareRefund(Payload):
    redemption_id: str
    quantity: int | None


class RefundPlan(Payload):
    redemption_id: str
    member_id: str
    hold_key: str
    fulfillment_key: str
    points: int
    quantity: int
    voids_voucher: bool


class RefundPoints(Payload):
    redemption_id: str
    refund_id: str
    hold_key: str
    points: int
    quantity: int
    idempotency_key: str
    reason: str
    actor: str
    actor_role: str


class RefundRecorded(Payload):
    points_refunded: int
    quantity_refunded: int
    total_refunded_points: int
    closes_redemption: bool

"""Wire contracts of the Redemption and Refund workflows and of the activities they call.

Redemption (id ``redemption-<scope>~<member_id>~<request_id>``, see
``redemption_workflow_id``): input ``RedemptionRequest``; result
and query ``state`` -> ``RedemptionState``; updates ``approve`` / ``reject``
(``ReviewDecision``), ``cancel`` (``CancelRequest``), ``retry_compensations`` /
``resolve`` (``OperatorAction``), each -> ``UpdateResult``.
Refund (id ``refund-system~<redemption_id>~<request_id>``): ``RefundRequest`` -> ``RefundResult``;
query ``state`` -> ``RefundState``; updates ``approve`` / ``reject`` (``OperatorAction``) ->
``RefundUpdateResult`` while a refund awaits loyalty operations (POL-REFUND-001).

Side-effecting activities take an explicit ``idempotency_key``
(``<workflow_id>:<step>``, built by ``step_key``) and are safe to run twice.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field
from temporalio.common import SearchAttributeUpdate

from loyalty.contracts import search
from loyalty.contracts.base import Contract, Identifier, MutableContract, Reason

REDEMPTION_WORKFLOW = "Redemption"
REFUND_WORKFLOW = "Refund"
QUERY_STATE = "state"
UPDATE_APPROVE = "approve"
UPDATE_REJECT = "reject"
UPDATE_CANCEL = "cancel"
UPDATE_RETRY_COMPENSATIONS = "retry_compensations"
UPDATE_RESOLVE = "resolve"

# activities
DECIDE_REDEMPTION = "DecideRedemption"
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
VOID_REFUNDED_UNITS = "VoidRefundedUnits"
REFUND_POINTS = "RefundPoints"


# Never part of a member id or a request id (the API's patterns forbid it), so an
# id splits one way only: two different (scope, member, request) never give one id.
ID_SEPARATOR = "~"


class IdScope(StrEnum):
    """Who chose a request id: ids from different scopes or members can never meet."""

    MEMBER = "member"  # a customer, for their own member
    STAFF = "staff"  # a support agent or operator, on a member's behalf
    SYSTEM = "system"  # derived by the product itself (an assisted case's redemption, refunds)


def redemption_workflow_id(*, scope: IdScope, member_id: str, request_id: str) -> str:
    """``redemption-<scope>~<member_id>~<request_id>``: idempotent within one caller's scope."""
    return ID_SEPARATOR.join((f"redemption-{scope.value}", member_id, request_id))


def refund_workflow_id(redemption_id: str, request_id: str) -> str:
    """``refund-system~<redemption_id>~<request_id>``: derived, never chosen by a caller."""
    return ID_SEPARATOR.join((f"refund-{IdScope.SYSTEM.value}", redemption_id, request_id))


class RedemptionStatus(StrEnum):
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    NEEDS_ATTENTION = "needs_attention"
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in {self.COMPLETED, self.REJECTED, self.FAILED, self.CANCELLED}


class Step(StrEnum):
    """Saga steps, in order; compensations carry their own names."""

    CHECK_BALANCE = "check_balance"
    CHECK_ELIGIBILITY = "check_eligibility"
    ASSESS_FRAUD = "assess_fraud"
    AWAIT_REVIEW = "await_review"
    PRICE_OFFER = "price_offer"
    RESERVE_POINTS = "reserve_points"
    FULFILL_REWARD = "fulfill_reward"
    CAPTURE_POINTS = "capture_points"
    RECORD_OUTCOME = "record_outcome"
    NOTIFY = "notify"
    RELEASE_POINTS = "release_points"
    VOID_FULFILLMENT = "void_fulfillment"
    REVERSE_CAPTURE = "reverse_capture"


def step_key(redemption_id: str, step: Step) -> str:
    """The idempotency key of one saga step: ``<workflow_id>:<step>``.

    Refunds find a redemption's hold and voucher by these keys, so every side
    that names a step's effect builds the key here.
    """
    return f"{redemption_id}:{step.value}"


class RedemptionRequest(Contract):
    """Input of the Redemption workflow (id from ``redemption_workflow_id``)."""

    request_id: Identifier
    member_id: Identifier
    reward_id: Identifier
    quantity: int = Field(default=1, ge=1, le=100)
    channel: Identifier = "app"
    device_id: Identifier | None = None
    requested_by: Identifier = "customer"
    trace_id: str | None = None
    review_timeout_s: float | None = Field(
        default=None,
        gt=0,
        description="How long a fraud review may wait; default: POL-FRAUD-001 in force.",
    )
    compensation_timeout_s: float = Field(
        default=6 * 3600.0, gt=0, description="How long a compensation retries before an operator."
    )
    promo_code: str | None = Field(
        default=None, max_length=64, description="A promo code the member entered."
    )


class StepOutcome(Contract):
    step: Step
    status: str  # "ok" | "failed" | "compensated" | "skipped"
    at: dt.datetime
    detail: str = ""


class PriceLine(Contract):
    kind: str
    source_id: str
    description: str
    points: int


class ReviewDecision(Contract):
    """Payload of the approve / reject updates (fraud review or proposal approval).

    ``role`` is the decider's role, from their verified token (the API) or
    ``operator`` (the CLI); assisted cases accept only the roles POL-APPROVAL-001 names.
    """

    agent_id: Identifier
    reason: Reason
    role: Identifier | None = None


class CancelRequest(Contract):
    requested_by: Identifier
    reason: str = Field(default="cancelled by request", max_length=500)


class OperatorAction(Contract):
    operator_id: Identifier
    reason: Reason


class UpdateResult(Contract):
    accepted: bool
    status: RedemptionStatus
    message: str


class RedemptionState(MutableContract):
    """The query result while the workflow runs, and its result when it closes."""

    redemption_id: str
    request_id: str
    member_id: str
    reward_id: str
    quantity: int
    channel: str
    device_id: str | None = None
    requested_by: str | None = None  # who started it: the member, or the agent on their behalf
    status: RedemptionStatus = RedemptionStatus.RUNNING
    current_step: Step | None = None
    points: int = 0
    breakdown: list[PriceLine] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    fraud_verdict: str | None = None
    fraud_score: int | None = None
    hold_id: int | None = None
    voucher_id: str | None = None
    voucher_code: str | None = None  # only in runs from before issue 10; see Fulfillment
    review: ReviewDecision | None = None
    review_outcome: str | None = None
    failed_compensations: list[Step] = Field(default_factory=list)
    steps: list[StepOutcome] = Field(default_factory=list)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    def summary(self) -> str:
        """The one-line human memo shown in the Temporal UI."""
        return (
            f"{self.member_id} redeems {self.quantity} x {self.reward_id}"
            f" for {self.points} pts: {self.status.value}"
        )

    def search_attributes(self) -> list[SearchAttributeUpdate[Any]]:
        """What operators filter on in the Temporal UI (see ``contracts.search``)."""
        return [
            search.MEMBER_ID.value_set(self.member_id),
            search.REWARD_ID.value_set(self.reward_id),
            search.CHANNEL.value_set(self.channel),
            search.STATUS.value_set(self.status.value),
            search.POINTS.value_set(self.points),
            search.REQUESTED_BY.value_set(self.requested_by or ""),
        ]


class RefundRequest(Contract):
    """Input of the Refund workflow (id from ``refund_workflow_id``)."""

    redemption_id: Identifier
    request_id: Identifier
    quantity: int | None = Field(default=None, ge=1, le=100, description="None = all left")
    reason: Reason
    actor: Identifier
    actor_role: Identifier = "support_agent"


class RefundResult(Contract):
    """A posted refund; ``voucher_voided`` when it voided the voucher's last live units."""

    redemption_id: str
    refund_id: str
    points_refunded: int
    quantity_refunded: int
    voucher_voided: bool
    total_refunded_points: int


class RefundStatus(StrEnum):
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    COMPLETED = "completed"
    REJECTED = "rejected"


class RefundState(MutableContract):
    """The query result of a Refund while it runs (a refused one fails with its reason).

    Attributes:
        review_reasons: Why loyalty operations must approve it first (empty: automatic).
        decided_by: The operator who approved or rejected it.
    """

    refund_id: str
    redemption_id: str
    requested_by: str
    status: RefundStatus = RefundStatus.RUNNING
    points: int = 0
    quantity: int = 0
    review_reasons: list[str] = Field(default_factory=list)
    decided_by: str | None = None
    decision_reason: str | None = None
    result: RefundResult | None = None


class RefundUpdateResult(Contract):
    accepted: bool
    status: RefundStatus
    message: str


# -- activity payloads -------------------------------------------------------


class MemberRef(Contract):
    """Input of CheckBalance (runs started before the DecideRedemption patch only)."""

    member_id: str


class BalanceSnapshot(Contract):
    member_id: str
    available: int
    held: int
    member_status: str


class RedemptionCheck(Contract):
    """Input of the separate checks of runs started before the DecideRedemption patch."""

    redemption_id: str
    member_id: str
    reward_id: str
    quantity: int
    channel: str
    device_id: str | None = None


class EligibilityVerdict(Contract):
    eligible: bool
    reasons: list[str] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)


class FraudVerdict(Contract):
    verdict: str  # approve | review | deny
    score: int
    reasons: list[str] = Field(default_factory=list)


class OfferPrice(Contract):
    total: int
    lines: list[PriceLine]
    applied_promotion_ids: list[str] = Field(default_factory=list)


class SpendCeiling(Contract):
    """The most points a member may redeem in a UTC day and in a calendar month."""

    daily: int = Field(gt=0)
    monthly: int = Field(gt=0)


class PromoCodeClaim(Contract):
    """One use of a promo code, counted in the hold's transaction under the account lock."""

    code: str
    promotion_id: str
    version: int = Field(ge=1)
    allowed: int = Field(gt=0, description="Uses per member (POL-PROMO-001).")


class RedemptionDecision(Contract):
    """Result of DecideRedemption (input: the ``RedemptionRequest`` itself).

    Attributes:
        outcome: ``proceed``, ``review`` (a person decides first) or ``reject``.
        reasons: Why it is refused or reviewed; empty when it proceeds.
        fraud: None when eligibility already refused.
        price: None when the fraud check already refused.
        ceiling: The member's daily and monthly redemption ceilings in points,
            which the reservation enforces again under the account lock
            (None in results recorded before limits were read from policy).
        review_timeout_s: How long a fraud review may wait (POL-FRAUD-001).
        promo_code: The promo code use the reservation counts (None: no code applied).
    """

    outcome: Literal["proceed", "review", "reject"]
    reasons: list[str] = Field(default_factory=list)
    balance: BalanceSnapshot
    eligibility: EligibilityVerdict
    fraud: FraudVerdict | None = None
    price: OfferPrice | None = None
    ceiling: SpendCeiling | None = None
    review_timeout_s: float | None = Field(default=None, gt=0)
    promo_code: PromoCodeClaim | None = None


class ReservePoints(Contract):
    """Hold ``points`` and, with ``reward_id``, ``units`` of its stock, in one transaction.

    With ``ceiling``, the hold is refused when it would take the member past a
    daily or monthly redemption ceiling (checked under the account lock).
    """

    member_id: str
    points: int
    idempotency_key: str
    reference: str
    reward_id: str | None = None
    units: int = Field(default=0, ge=0)
    ceiling: SpendCeiling | None = None
    promo_code: PromoCodeClaim | None = None


class HoldRef(Contract):
    """Names a hold by the key that created it, so a compensation never needs its id.

    With ``member_id``, a release that finds no hold leaves a tombstone under
    the member's account lock, and a hold arriving late under the key is refused.
    """

    hold_key: str
    idempotency_key: str
    reason: str = ""
    member_id: str | None = None


class ReverseCapture(Contract):
    hold_key: str
    points: int
    idempotency_key: str
    reason: str
    actor: str
    units: int = Field(default=0, ge=0)


class PointsMoved(Contract):
    hold_id: int | None
    available_after: int
    held_after: int
    applied: bool = True  # False when there was nothing to do (e.g. no hold to release)


class FulfillReward(Contract):
    idempotency_key: str
    member_id: str
    reward_id: str
    quantity: int


class Fulfillment(Contract):
    """The issued voucher by reference; its code stays in PostgreSQL (``ledger.vouchers``).

    ``code`` is empty except in histories recorded before issue 10.
    """

    voucher_id: str
    code: str = ""
    status: str


class VoidFulfillment(Contract):
    idempotency_key: str


class VoidOutcome(Contract):
    status: str  # voided | partially_voided | not_found
    units_voided: int = 0


class VoidUnits(Contract):
    """Void ``units`` live units of a redemption's voucher for one refund (``request_key``)."""

    fulfillment_key: str
    units: int = Field(ge=1)
    request_key: str


class RecordRedemption(Contract):
    state: RedemptionState


class NotifyRedemption(Contract):
    event: str
    state: RedemptionState


class PrepareRefund(Contract):
    redemption_id: str
    quantity: int | None


class RefundPlan(Contract):
    """What a refund would return; ``review_reasons`` empty when it may post at once."""

    redemption_id: str
    member_id: str
    hold_key: str
    fulfillment_key: str
    points: int
    quantity: int
    voids_voucher: bool
    review_reasons: list[str] = Field(default_factory=list)
    approval_timeout_s: float | None = None


class RefundPoints(Contract):
    redemption_id: str
    refund_id: str
    hold_key: str
    points: int
    quantity: int
    idempotency_key: str
    reason: str
    actor: str
    actor_role: str


class RefundRecorded(Contract):
    points_refunded: int
    quantity_refunded: int
    total_refunded_points: int
    closes_redemption: bool

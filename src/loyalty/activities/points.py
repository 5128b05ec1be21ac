"""Side-effecting ledger steps: reserve, release, capture, reverse — each idempotent by key.

Compensations name the hold by the key that created it (``<workflow_id>:reserve_points``),
never by an id returned from an earlier step: if the reserve landed but its
answer was lost, the release still finds the hold; if it has not landed yet,
the release leaves a tombstone and the late hold is refused.
"""

from __future__ import annotations

from temporalio import activity

from loyalty.activities.errors import business_errors
from loyalty.contracts.redemption import (
    CAPTURE_POINTS,
    RELEASE_POINTS,
    RESERVE_POINTS,
    REVERSE_CAPTURE,
    HoldRef,
    PointsMoved,
    PromoCodeClaim,
    ReservePoints,
    ReverseCapture,
)
from loyalty.contracts.redemption import SpendCeiling as SpendCeilingContract
from loyalty.domain.limits import SpendCeiling
from loyalty.errors import NotFoundError
from loyalty.ledger.promotions import CodeUse
from loyalty.ledger.repository import Ledger
from loyalty.ledger.results import EntryResult

_NOTHING = PointsMoved(hold_id=None, available_after=0, held_after=0, applied=False)


def _moved(entry: EntryResult) -> PointsMoved:
    return PointsMoved(
        hold_id=entry.hold_id, available_after=entry.available_after, held_after=entry.held_after
    )


class PointsActivities:
    def __init__(self, *, ledger: Ledger) -> None:
        self._ledger = ledger

    @activity.defn(name=RESERVE_POINTS)
    @business_errors
    def reserve_points(self, request: ReservePoints) -> PointsMoved:
        return _moved(
            self._ledger.hold(
                member_id=request.member_id,
                points=request.points,
                idempotency_key=request.idempotency_key,
                reference=request.reference,
                reward_id=request.reward_id,
                units=request.units,
                ceiling=_ceiling(request.ceiling),
                promo_code=_claim(request.promo_code),
            )
        )

    @activity.defn(name=RELEASE_POINTS)
    @business_errors
    def release_points(self, request: HoldRef) -> PointsMoved:
        if request.member_id is not None:
            released = self._ledger.release_key(
                member_id=request.member_id,
                hold_key=request.hold_key,
                idempotency_key=request.idempotency_key,
                reason=request.reason,
            )
            return _moved(released) if released else _NOTHING
        hold = self._ledger.find(
            idempotency_key=request.hold_key
        )  # a payload from before tombstones
        if hold is None or hold.hold_id is None:
            return _NOTHING
        return _moved(
            self._ledger.release(
                hold_id=hold.hold_id, idempotency_key=request.idempotency_key, reason=request.reason
            )
        )

    @activity.defn(name=CAPTURE_POINTS)
    @business_errors
    def capture_points(self, request: HoldRef) -> PointsMoved:
        hold = self._ledger.find(idempotency_key=request.hold_key)
        if hold is None or hold.hold_id is None:
            raise NotFoundError(f"no hold was made under {request.hold_key}")
        return _moved(
            self._ledger.capture(
                hold_id=hold.hold_id, idempotency_key=request.idempotency_key, reason=request.reason
            )
        )

    @activity.defn(name=REVERSE_CAPTURE)
    @business_errors
    def reverse_capture(self, request: ReverseCapture) -> PointsMoved:
        hold = self._ledger.find(idempotency_key=request.hold_key)
        if hold is None or hold.hold_id is None:
            return _NOTHING
        return _moved(
            self._ledger.reverse(
                hold_id=hold.hold_id,
                points=request.points,
                units=request.units,
                idempotency_key=request.idempotency_key,
                reason=request.reason,
                actor=request.actor,
            )
        )


def _claim(claim: PromoCodeClaim | None) -> CodeUse | None:
    if claim is None:
        return None
    return CodeUse(
        code=claim.code,
        promotion_id=claim.promotion_id,
        version=claim.version,
        allowed=claim.allowed,
    )


def _ceiling(ceiling: SpendCeilingContract | None) -> SpendCeiling | None:
    if ceiling is None:
        return None
    return SpendCeiling(daily=ceiling.daily, monthly=ceiling.monthly)

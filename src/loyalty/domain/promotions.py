"""Promotions as configured by marketing: what they are and when they run.

Which promotions apply to a price, and how they combine, is a pricing rule and
lives in :mod:`loyalty.domain.pricing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from loyalty.domain.points import require_percent, require_positive_points
from loyalty.errors import ValidationError


class PromotionKind(StrEnum):
    """How a promotion discounts: a whole percentage or a flat number of points."""

    PERCENT_OFF = "percent_off"
    POINTS_OFF = "points_off"


def require_aware(moment: datetime, *, name: str) -> datetime:
    """Refuse naive datetimes: comparing them with aware ones raises at runtime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(f"{name} must be timezone-aware")
    return moment


@dataclass(frozen=True, slots=True, kw_only=True)
class Promotion:
    """A discount available during ``[starts_at, ends_at)``.

    Attributes:
        promotion_id: Stable id, shown on the price breakdown.
        kind: ``percent_off`` (``value`` is a whole percent, 1-100) or
            ``points_off`` (``value`` is points off the whole redemption, not
            per unit).
        value: The percentage or the points.
        starts_at: First instant the promotion applies (inclusive).
        ends_at: First instant it no longer applies (exclusive), so
            back-to-back promotions never overlap.
        stackable: Whether it combines with other stackable promotions.
    """

    promotion_id: str
    kind: PromotionKind
    value: int
    starts_at: datetime
    ends_at: datetime
    stackable: bool

    def __post_init__(self) -> None:
        if self.kind is PromotionKind.PERCENT_OFF:
            require_percent(self.value, name="value")
        require_positive_points(self.value, name="value")
        require_aware(self.starts_at, name="starts_at")
        require_aware(self.ends_at, name="ends_at")
        if self.ends_at <= self.starts_at:
            raise ValidationError(f"promotion {self.promotion_id}: ends_at must follow starts_at")

    def is_active_at(self, moment: datetime) -> bool:
        """Return True if ``moment`` falls inside the half-open validity window."""
        return self.starts_at <= moment < self.ends_at

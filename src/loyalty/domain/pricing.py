"""Offer pricing: what a redemption costs in points, line by line.

The rules, in the order they are applied:

1. **Base** = ``unit_cost * quantity``.
2. **Tier discount**: the member's tier percentage (from configuration) off
   the base. No line is shown when the tier's percentage is 0 or missing.
3. **Promotions**: only those whose window ``[starts_at, ends_at)`` contains
   ``priced_at`` are candidates. Two candidate sets are priced against the
   amount left after the tier discount:

   * the STACK: every stackable candidate together;
   * each NON-STACKABLE candidate on its own.

   The single best non-stackable promotion (lowest resulting total; ties go
   to the lowest ``promotion_id``) replaces the stack only if it gives a
   strictly larger discount. On a tie the stack wins, since it is the
   default combination members are shown.
4. Inside a set, ``percent_off`` promotions apply first, then ``points_off``
   ones, each group in ``promotion_id`` order. Each percentage applies to the
   amount left at that point (discounts compound rather than add, so they
   can never exceed 100 % together), and percentages before flat points give
   the member the larger discount.
5. The total never goes below zero: a discount larger than what is left is
   cut to what is left.

Rounding: every percentage discount goes through
:func:`loyalty.domain.points.percent_discount`, which rounds the discount
DOWN to whole points (the member pays the rounded-up remainder). Because each
step is a non-decreasing function of the amount it receives, the total never
decreases when quantity, unit cost or base rises, and never increases when a
discount or a stackable promotion is added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from loyalty.domain.points import (
    percent_discount,
    require_non_negative_points,
    require_percent,
    require_positive_points,
)
from loyalty.domain.promotions import Promotion, PromotionKind, require_aware
from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError


@dataclass(frozen=True, slots=True, kw_only=True)
class PricingInput:
    """Everything :func:`price_offer` needs.

    Attributes:
        reward_id: The reward being priced; the base line's source id.
        unit_cost: Points per unit (0 allowed for free rewards).
        quantity: Units requested (>= 1).
        tier: The member's tier.
        tier_discount_percent: Configured whole percent per tier; a missing
            tier means no tier discount.
        promotions: Promotions to consider; inactive ones are ignored.
        priced_at: The instant the quote is for (timezone-aware).
    """

    reward_id: str
    unit_cost: int
    quantity: int
    tier: Tier
    tier_discount_percent: Mapping[Tier, int]
    promotions: tuple[Promotion, ...]
    priced_at: datetime

    def __post_init__(self) -> None:
        require_non_negative_points(self.unit_cost, name="unit_cost")
        require_positive_points(self.quantity, name="quantity")
        for tier, percent in self.tier_discount_percent.items():
            require_percent(percent, name=f"tier_discount_percent[{tier.value}]")
        require_aware(self.priced_at, name="priced_at")
        ids = [promotion.promotion_id for promotion in self.promotions]
        if len(ids) != len(set(ids)):
            raise ValidationError("promotion ids must be unique")


class PriceLineKind(StrEnum):
    """What a breakdown line is."""

    BASE = "base"
    TIER_DISCOUNT = "tier_discount"
    PROMOTION = "promotion"
    TOTAL = "total"


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceLine:
    """One line of the breakdown.

    Attributes:
        kind: Base, a discount, or the total.
        source_id: Reward id (base, total), ``"tier:<tier>"``, or promotion id.
        description: Human-readable label.
        points: Signed points: positive for base and total, negative (or 0)
            for discounts, so base + discounts == total.
    """

    kind: PriceLineKind
    source_id: str
    description: str
    points: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceQuote:
    """The priced redemption.

    Attributes:
        base: ``unit_cost * quantity``.
        total: Points the member pays, ``0 <= total <= base``.
        lines: Base line, discount lines in application order, total line.
        applied_promotion_ids: Promotions that made it into the price, in
            application order.
    """

    base: int
    total: int
    lines: tuple[PriceLine, ...]
    applied_promotion_ids: tuple[str, ...]

    @property
    def discount(self) -> int:
        """Total points taken off the base."""
        return self.base - self.total


def price_offer(data: PricingInput) -> PriceQuote:
    """Price a redemption by the rules in the module docstring.

    Args:
        data: Reward cost, quantity, tier, configuration and promotions.

    Returns:
        The total, a breakdown whose lines reconcile, and the applied ids.
    """
    base = data.unit_cost * data.quantity
    lines = [
        PriceLine(
            kind=PriceLineKind.BASE,
            source_id=data.reward_id,
            description=f"{data.quantity} x {data.unit_cost} points",
            points=base,
        )
    ]
    remaining = base
    tier_percent = data.tier_discount_percent.get(data.tier, 0)
    if tier_percent > 0:
        off = percent_discount(remaining, tier_percent)
        lines.append(
            PriceLine(
                kind=PriceLineKind.TIER_DISCOUNT,
                source_id=f"tier:{data.tier.value}",
                description=f"{data.tier.value} tier: {tier_percent}% off",
                points=-off,
            )
        )
        remaining -= off
    live = [p for p in data.promotions if p.is_active_at(data.priced_at)]
    chosen = _choose_promotions(live, remaining)
    promotion_lines, total = _apply(chosen, remaining)
    lines.extend(promotion_lines)
    lines.append(
        PriceLine(
            kind=PriceLineKind.TOTAL, source_id=data.reward_id, description="Total", points=total
        )
    )
    return PriceQuote(
        base=base,
        total=total,
        lines=tuple(lines),
        applied_promotion_ids=tuple(line.source_id for line in promotion_lines),
    )


def _choose_promotions(live: Sequence[Promotion], amount: int) -> tuple[Promotion, ...]:
    """Return the stack, or the best single non-stackable if strictly better."""
    stack = tuple(p for p in live if p.stackable)
    singles = [p for p in live if not p.stackable]
    if not singles:
        return stack
    best = min(singles, key=lambda p: (_apply((p,), amount)[1], p.promotion_id))
    if _apply((best,), amount)[1] < _apply(stack, amount)[1]:
        return (best,)
    return stack


def _apply(promotions: Iterable[Promotion], amount: int) -> tuple[list[PriceLine], int]:
    """Apply promotions in rule order; return their lines and the amount left."""
    lines: list[PriceLine] = []
    for promotion in sorted(promotions, key=_application_order):
        if promotion.kind is PromotionKind.PERCENT_OFF:
            off = percent_discount(amount, promotion.value)
            label = f"{promotion.value}% off"
        else:
            # Cut to what is left so the total never goes below zero.
            off = min(promotion.value, amount)
            label = f"{promotion.value} points off"
        lines.append(
            PriceLine(
                kind=PriceLineKind.PROMOTION,
                source_id=promotion.promotion_id,
                description=f"Promotion {promotion.promotion_id}: {label}",
                points=-off,
            )
        )
        amount -= off
    return lines, amount


def _application_order(promotion: Promotion) -> tuple[int, str]:
    # Percentages first (see rule 4), then by id so the result is deterministic.
    return (0 if promotion.kind is PromotionKind.PERCENT_OFF else 1, promotion.promotion_id)

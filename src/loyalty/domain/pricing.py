"""Offer pricing: what a redemption costs in points, line by line.

The rules, in the order they are applied:

1. **Base** = ``unit_cost * quantity``.
2. **Tier discount**: the member's tier percentage (from configuration) off
   the base. No line is shown when the tier's percentage is 0 or missing.
3. **Promotions** (POL-PROMO-001, :mod:`loyalty.domain.promotions`): the
   ``redeem_discount_percent`` promotions live at ``priced_at``, in scope for
   the reward, its category and the member's tier (coded ones only for the
   code entered) are candidates. At most ``max_stacked`` apply, the largest
   percentages first, never two of one campaign. Each takes its percentage of
   the LIST price (base), so discounts add rather than compound.
4. **Combined ceiling**: tier discount + promotional discounts never exceed
   ``max_combined_discount_percent`` of the list price; the promotions are
   trimmed first (smallest first), the tier discount is kept. A promotion
   trimmed to nothing is not shown and does not count as applied.
5. Breakdown lines of promotions name ``<promotion_id>@<version>``.

Rounding: every percentage discount goes through
:func:`loyalty.domain.points.percent_discount`, which rounds the discount
DOWN to whole points (the member pays the rounded-up remainder); the ceiling
is rounded down too, so the discount never exceeds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from loyalty.domain.points import (
    percent_discount,
    require_non_negative_points,
    require_percent,
    require_positive_points,
)
from loyalty.domain.promotions import (
    Promotion,
    PromotionKind,
    StackingRules,
    cap_discounts,
    eligible,
    require_aware,
    stack,
)
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
        promotions: Promotions to consider; inactive, out-of-scope and
            earning ones are ignored.
        priced_at: The instant the quote is for (timezone-aware).
        stacking: The numbers of POL-PROMO-001.
        category: The reward's category, for promotions scoped by category.
        promo_code: The code the member entered, if any.
    """

    reward_id: str
    unit_cost: int
    quantity: int
    tier: Tier
    tier_discount_percent: Mapping[Tier, int]
    promotions: tuple[Promotion, ...]
    priced_at: datetime
    stacking: StackingRules
    category: str | None = None
    promo_code: str | None = None

    def __post_init__(self) -> None:
        require_non_negative_points(self.unit_cost, name="unit_cost")
        require_positive_points(self.quantity, name="quantity")
        for tier, percent in self.tier_discount_percent.items():
            require_percent(percent, name=f"tier_discount_percent[{tier.value}]")
        require_aware(self.priced_at, name="priced_at")
        ids = [promotion.ref for promotion in self.promotions]
        if len(ids) != len(set(ids)):
            raise ValidationError("promotion versions must be unique")


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
        source_id: Reward id (base, total), ``"tier:<tier>"``, or
            ``<promotion_id>@<version>``.
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
        applied_promotion_ids: ``<promotion_id>@<version>`` of every promotion
            that made it into the price, largest benefit first.
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
    tier_percent = data.tier_discount_percent.get(data.tier, 0)
    tier_off = percent_discount(base, tier_percent) if tier_percent > 0 else 0
    if tier_percent > 0:
        lines.append(
            PriceLine(
                kind=PriceLineKind.TIER_DISCOUNT,
                source_id=f"tier:{data.tier.value}",
                description=f"{data.tier.value} tier: {tier_percent}% off",
                points=-tier_off,
            )
        )
    candidates = eligible(
        data.promotions,
        kind=PromotionKind.REDEEM_DISCOUNT_PERCENT,
        at=data.priced_at,
        tier=data.tier,
        reward_id=data.reward_id,
        category=data.category,
        promo_code=data.promo_code,
    )
    chosen = stack(candidates, max_stacked=data.stacking.max_stacked, benefit=lambda p: p.percent)
    offs = cap_discounts(
        list_price=base,
        tier_off=tier_off,
        promo_offs=[percent_discount(base, p.percent) for p in chosen],
        max_percent=data.stacking.max_combined_discount_percent,
    )
    promotion_lines = [
        PriceLine(
            kind=PriceLineKind.PROMOTION,
            source_id=promotion.ref,
            description=_describe(promotion, off, base),
            points=-off,
        )
        for promotion, off in zip(chosen, offs, strict=True)
        if off > 0
    ]
    total = base - tier_off - sum(offs)
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


def _describe(promotion: Promotion, off: int, base: int) -> str:
    label = f"Promotion {promotion.ref} ({promotion.campaign}): {promotion.percent}% off"
    if off < percent_discount(base, promotion.percent):
        return f"{label}, trimmed to the combined discount ceiling"
    return label

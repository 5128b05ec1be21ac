"""Points earned on a purchase, and the points a return takes back: pure arithmetic.

POL-ACCRUAL-001: 1 base point (``base_points_per_currency_unit``) per *whole*
unit of currency; the tier multiplier (POL-TIER-001 ``accrual_multiplier``)
then applies; promotional bonus multipliers are *added* to it and the total is
capped at ``max_bonus_multiplier`` (POL-PROMO-001); one purchase earns at most
``max_points_per_purchase``, and a capped purchase is flagged for the fraud
team. Fractions of a point are dropped (rounded down), as everywhere else.

Returns take back points in proportion to the amount returned, computed on the
*cumulative* amount returned so that several partial returns of a whole order
take back exactly what the order earned, never a point more or less.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError

CAPPED_MULTIPLIER = "max_bonus_multiplier"
CAPPED_POINTS = "max_points_per_purchase"


@dataclass(frozen=True, slots=True, kw_only=True)
class EarningRules:
    """The numbers of POL-ACCRUAL-001, POL-TIER-001 and POL-PROMO-001 in force."""

    base_points_per_currency_unit: int
    tier_multipliers: Mapping[Tier, Decimal]
    max_bonus_multiplier: Decimal
    max_points_per_purchase: int
    pending_period_days: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Earning:
    """What one purchase earns, with how it got there."""

    base_points: int
    multiplier: Decimal
    points: int
    capped_by: tuple[str, ...] = field(default=())
    # Before max_points_per_purchase (equal to ``points`` when that cap did not apply).
    points_before_cap: int = 0


def earn(
    amount: Decimal,
    *,
    tier: Tier,
    rules: EarningRules,
    promotion_bonuses: Sequence[Decimal] = (),
) -> Earning:
    """Points for a purchase of ``amount`` by a member of ``tier``.

    ``promotion_bonuses`` are the bonus multipliers of the promotions active
    for this purchase, already stacked (``loyalty.domain.promotions.bonus_multipliers``).

    Raises:
        ValidationError: ``amount`` is negative or not finite.
    """
    if not amount.is_finite() or amount < 0:
        raise ValidationError(f"amount must be a non-negative number, got {amount}")
    base = int(amount.to_integral_value(rounding=ROUND_FLOOR)) * rules.base_points_per_currency_unit
    multiplier = rules.tier_multipliers[tier] + sum(promotion_bonuses, Decimal(0))
    capped: list[str] = []
    if multiplier > rules.max_bonus_multiplier:
        multiplier, capped = rules.max_bonus_multiplier, [CAPPED_MULTIPLIER]
    uncapped = int((base * multiplier).to_integral_value(rounding=ROUND_FLOOR))
    points = min(uncapped, rules.max_points_per_purchase)
    if points < uncapped:
        capped.append(CAPPED_POINTS)
    return Earning(
        base_points=base,
        multiplier=multiplier,
        points=points,
        capped_by=tuple(capped),
        points_before_cap=uncapped,
    )


def points_to_take_back(
    *, points: int, amount: Decimal, returned_before: Decimal, returned_now: Decimal
) -> int:
    """The points a return of ``returned_now`` takes back from an order that earned ``points``.

    Proportional on the cumulative amount: the first ``returned_before`` took
    ``floor(points * before / amount)``; after this return the total taken is
    ``floor(points * (before + now) / amount)``; the difference is this return's.
    A full return therefore always takes back exactly ``points``.

    Raises:
        ValidationError: the return is not positive or exceeds what is left to return.
    """
    if returned_now <= 0:
        raise ValidationError(f"a return must be positive, got {returned_now}")
    total = returned_before + returned_now
    if total > amount:
        left = amount - returned_before
        raise ValidationError(f"return of {returned_now} exceeds the {left} left to return")
    if amount == 0:
        return 0
    return _share(points, total, amount) - _share(points, returned_before, amount)


def _share(points: int, part: Decimal, whole: Decimal) -> int:
    return int((points * part / whole).to_integral_value(rounding=ROUND_FLOOR))


def require_tier_multipliers(raw: Mapping[str, object]) -> dict[Tier, Decimal]:
    """``{bronze: 1.0, ...}`` from a policy as exact decimals, one for every tier.

    Raises:
        ValidationError: a tier is missing or its multiplier is not a positive number.
    """
    values: dict[Tier, Decimal] = {}
    for tier in Tier:
        value = raw.get(tier.value)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValidationError(f"accrual_multiplier for {tier.value} must be positive")
        values[tier] = Decimal(str(value))
    return values

"""Promotions and how they combine (POL-PROMO-001): pure data and pure functions.

A promotion is a time-limited change to the points economics of an order:
a percentage off a reward's points price (``redeem_discount_percent``) or a
bonus earning multiplier on a purchase (``earn_bonus_multiplier``). Each edit
of a promotion is a new *version*; a price breakdown names the version it used
as ``<promotion_id>@<version>``.

The stacking rules (numbers from POL-PROMO-001 through the PolicyBook):

* at most ``max_stacked`` promotions apply to one order or redemption; when
  more are eligible the ones with the largest benefit are kept (ties go to the
  lowest id), and two promotions of the same campaign never combine: the
  better one of a campaign is kept;
* the tier discount plus the promotional discounts may not exceed
  ``max_combined_discount_percent`` of the list price; promotional discounts
  are trimmed first (the smallest kept one first) and the tier discount is
  kept intact;
* bonus multipliers are added to the tier multiplier and the total is capped
  at ``max_bonus_multiplier`` (see :func:`loyalty.domain.earning.earn`);
* a promotion with a promo code applies only when the member enters that code
  and has uses of it left (``promo_code_uses_per_member``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError


class PromotionKind(StrEnum):
    """What a promotion changes."""

    REDEEM_DISCOUNT_PERCENT = "redeem_discount_percent"
    EARN_BONUS_MULTIPLIER = "earn_bonus_multiplier"


def require_aware(moment: datetime, *, name: str) -> datetime:
    """Refuse naive datetimes: comparing them with aware ones raises at runtime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(f"{name} must be timezone-aware")
    return moment


def normalize_code(code: str) -> str:
    """Promo codes compare case-insensitively and without surrounding blanks."""
    return code.strip().upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class PromotionScope:
    """Where a promotion applies; an empty set means "no restriction" on that axis.

    A reward matches when ``reward_ids`` and ``categories`` are both empty, or
    when it is listed by id or by category. A purchase (earning) has no reward,
    so only promotions without a reward or category restriction apply to it.
    """

    reward_ids: frozenset[str] = field(default_factory=frozenset)
    categories: frozenset[str] = field(default_factory=frozenset)
    tiers: frozenset[Tier] = field(default_factory=frozenset)

    def covers(self, *, tier: Tier, reward_id: str | None, category: str | None) -> bool:
        """True if a member of ``tier`` buying ``reward_id`` (``None``: a purchase) is in scope."""
        if self.tiers and tier not in self.tiers:
            return False
        if not self.reward_ids and not self.categories:
            return True
        return (reward_id is not None and reward_id in self.reward_ids) or (
            category is not None and category in self.categories
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Promotion:
    """One version of a promotion, available during ``[starts_at, ends_at)``.

    Attributes:
        promotion_id: Stable id across versions.
        version: 1 for the first version; every edit adds one.
        campaign: Promotions of one campaign never combine.
        kind: A redemption discount or an earning bonus.
        value: Whole percent off the list price (1-100) for a discount; the
            bonus added to the tier multiplier (> 0) for an earning bonus.
        starts_at: First instant it applies (inclusive).
        ends_at: First instant it no longer applies (exclusive); ``None``: open-ended.
        promo_code: When set, it applies only to a member who enters this code.
    """

    promotion_id: str
    version: int
    campaign: str
    kind: PromotionKind
    value: Decimal
    scope: PromotionScope
    starts_at: datetime
    ends_at: datetime | None
    promo_code: str | None = None

    def __post_init__(self) -> None:
        if self.version < 1:
            raise ValidationError("version must be at least 1")
        if not self.value.is_finite() or self.value <= 0:
            raise ValidationError("value must be a positive number")
        if self.kind is PromotionKind.REDEEM_DISCOUNT_PERCENT and (
            self.value != self.value.to_integral_value() or self.value > 100
        ):
            raise ValidationError("value of a discount must be a whole percent from 1 to 100")
        require_aware(self.starts_at, name="starts_at")
        if self.ends_at is not None:
            require_aware(self.ends_at, name="ends_at")
            if self.ends_at <= self.starts_at:
                raise ValidationError(
                    f"promotion {self.promotion_id}: ends_at must follow starts_at"
                )

    @property
    def ref(self) -> str:
        """``<promotion_id>@<version>``: how a breakdown names the version it used."""
        return f"{self.promotion_id}@{self.version}"

    @property
    def percent(self) -> int:
        """A discount's whole percent."""
        return int(self.value)

    def is_active_at(self, moment: datetime) -> bool:
        """True if ``moment`` falls inside the half-open validity window."""
        return self.starts_at <= moment and (self.ends_at is None or moment < self.ends_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class StackingRules:
    """The numbers of POL-PROMO-001 in force."""

    max_stacked: int
    max_combined_discount_percent: int
    max_bonus_multiplier: Decimal
    promo_code_uses_per_member: int


def eligible(
    promotions: Iterable[Promotion],
    *,
    kind: PromotionKind,
    at: datetime,
    tier: Tier,
    reward_id: str | None = None,
    category: str | None = None,
    promo_code: str | None = None,
) -> list[Promotion]:
    """The promotions of ``kind`` live at ``at`` and in scope; coded ones only for their code."""
    entered = normalize_code(promo_code) if promo_code else None
    return [
        p
        for p in promotions
        if p.kind is kind
        and p.is_active_at(at)
        and p.scope.covers(tier=tier, reward_id=reward_id, category=category)
        and (p.promo_code is None or normalize_code(p.promo_code) == entered)
    ]


def stack(
    candidates: Iterable[Promotion],
    *,
    max_stacked: int,
    benefit: Callable[[Promotion], int | Decimal],
) -> tuple[Promotion, ...]:
    """Keep at most ``max_stacked``, largest benefit first, one per campaign.

    Returns the kept promotions in order of decreasing benefit (ties by id).
    """
    ordered = sorted(candidates, key=lambda p: (-benefit(p), p.promotion_id, -p.version))
    kept: list[Promotion] = []
    campaigns: set[str] = set()
    for promotion in ordered:
        if len(kept) >= max_stacked:
            break
        if promotion.campaign in campaigns:
            continue
        kept.append(promotion)
        campaigns.add(promotion.campaign)
    return tuple(kept)


def cap_discounts(
    *, list_price: int, tier_off: int, promo_offs: Sequence[int], max_percent: int
) -> tuple[int, ...]:
    """Trim promotional discounts so tier + promotions stay within ``max_percent`` of list.

    ``promo_offs`` are in order of decreasing benefit; the last (smallest) is
    trimmed first. The tier discount is never trimmed, so a tier discount alone
    above the ceiling leaves no room for any promotion.
    """
    ceiling = list_price * max_percent // 100
    room = max(0, ceiling - tier_off)
    offs = list(promo_offs)
    excess = sum(offs) - room
    for index in reversed(range(len(offs))):
        if excess <= 0:
            break
        cut = min(excess, offs[index])
        offs[index] -= cut
        excess -= cut
    return tuple(offs)


def bonus_multipliers(
    promotions: Iterable[Promotion],
    *,
    at: datetime,
    tier: Tier,
    rules: StackingRules,
) -> tuple[Promotion, ...]:
    """The earning bonuses that apply to a purchase at ``at``: stacked by the rules."""
    live = eligible(promotions, kind=PromotionKind.EARN_BONUS_MULTIPLIER, at=at, tier=tier)
    return stack(live, max_stacked=rules.max_stacked, benefit=lambda p: p.value)

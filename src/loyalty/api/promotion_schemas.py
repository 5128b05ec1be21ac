"""Promotions as operators create, schedule, end and read them (POL-PROMO-001)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from loyalty.api.schemas import ID_PATTERN, ListPage, Schema
from loyalty.domain.promotions import PromotionKind
from loyalty.domain.tiers import Tier

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
NAME_PATTERN = r"^[^\x00-\x1F\x7F]{1,200}$"
PromotionStatus = Literal["active", "scheduled", "ended"]


class PromotionCreate(Schema):
    promotion_id: str = Field(pattern=ID_PATTERN, description="Stable id across versions.")
    campaign: str = Field(
        pattern=ID_PATTERN, description="Two promotions of one campaign never combine."
    )
    name: str = Field(pattern=NAME_PATTERN, max_length=200)
    kind: PromotionKind
    value: Decimal = Field(
        gt=0,
        le=100,
        max_digits=8,
        decimal_places=3,
        description="redeem_discount_percent: whole percent off the list price;"
        " earn_bonus_multiplier: added to the tier multiplier (total capped by POL-PROMO-001).",
    )
    reward_ids: list[str] = Field(default_factory=list, max_length=100)
    categories: list[str] = Field(default_factory=list, max_length=50)
    tiers: list[Tier] = Field(default_factory=list, description="Empty: every tier.")
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    promo_code: str | None = Field(
        default=None, pattern=CODE_PATTERN, description="Applies only to a member entering it."
    )

    @model_validator(mode="after")
    def _check(self) -> PromotionCreate:
        _require_window(self.starts_at, self.ends_at)
        if self.kind is PromotionKind.REDEEM_DISCOUNT_PERCENT and self.value != int(self.value):
            raise ValueError("value: a discount is a whole percent")
        for rid in (*self.reward_ids, *self.categories):
            if not rid or len(rid) > 64 or not rid.isprintable():
                raise ValueError("reward_ids/categories: 1-64 printable characters each")
        return self


class PromotionSchedule(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None

    @model_validator(mode="after")
    def _check(self) -> PromotionSchedule:
        _require_window(self.starts_at, self.ends_at)
        return self


def _require_window(starts_at: dt.datetime, ends_at: dt.datetime | None) -> None:
    if starts_at.tzinfo is None:
        raise ValueError("starts_at: must carry a timezone")
    if ends_at is not None and (ends_at.tzinfo is None or ends_at <= starts_at):
        raise ValueError("ends_at: must carry a timezone and follow starts_at")


class PromotionVersionPublic(Schema):
    promotion_id: str
    version: int
    ref: str = Field(description="<promotion_id>@<version>, as price breakdowns name it.")
    campaign: str
    name: str
    kind: PromotionKind
    value: Decimal
    reward_ids: list[str]
    categories: list[str]
    tiers: list[str]
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    promo_code: str | None
    changed_by: str
    created_at: dt.datetime


class PromotionPublic(PromotionVersionPublic):
    status: PromotionStatus


class PromotionDetail(PromotionPublic):
    versions: list[PromotionVersionPublic]


class PromotionsPublic(ListPage):
    data: list[PromotionPublic]

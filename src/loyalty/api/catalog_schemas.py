"""Public JSON shapes of a member's catalog: each reward at the member's price, and why not."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from loyalty.api.schemas import ListPage, PriceCheck, RewardPublic, Schema


class ReasonPublic(Schema):
    code: str = Field(
        description="Stable machine code: tier_too_low, region_not_allowed, out_of_stock,"
        " daily_limit_reached, monthly_limit_reached, below_minimum, not_an_increment,"
        " above_tier_maximum, daily_points_limit, monthly_points_limit, insufficient_points,"
        " member_frozen, member_not_active.",
        examples=["insufficient_points"],
    )
    message: str = Field(examples=["insufficient points: 800 available, 950 required"])


class MemberRewardPublic(RewardPublic):
    price: PriceCheck = Field(
        description="What a redemption of one unit would charge now, line by line: the same"
        " pricing the saga applies (tier discount, then promotions)."
    )
    redeemable: bool = Field(description="True when no rule refuses it (a review may still ask).")
    reasons: list[ReasonPublic] = Field(
        description="Every reason the member cannot redeem it now; empty when redeemable."
    )


class MemberCatalogPublic(ListPage):
    member_id: str
    tier: str
    status: str
    available: int = Field(description="Spendable points the prices are compared with.")
    held: int
    priced_at: dt.datetime
    data: list[MemberRewardPublic]

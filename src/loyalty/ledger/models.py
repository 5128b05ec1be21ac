"""ORM tables of the ledger, catalog, redemption records and audit log.

The database itself enforces the invariants that matter for money-like points:
``CHECK`` constraints keep balances and lots non-negative, unique idempotency
keys stop a repeated operation from posting twice, and triggers (created in the
migration) make ``ledger_entries`` and ``audit_log`` append-only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB, list[str]: ARRAY(String)}


def _now_column() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tier: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(8))
    joined_on: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    segments: Mapped[list[str]] = mapped_column(default=list, server_default="{}")
    churn_risk_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[dt.datetime] = _now_column()
    # migration 0009: the profile, and where the member stands on the tier ladder
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    tier_changed_on: Mapped[dt.date] = mapped_column(Date)
    tier_grace_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (
        CheckConstraint("tier IN ('bronze','silver','gold','platinum')", name="member_tier"),
        CheckConstraint("status IN ('active','frozen','suspended','closed')", name="member_status"),
        CheckConstraint(
            "churn_risk_score IS NULL OR (churn_risk_score >= 0 AND churn_risk_score <= 1)",
            name="member_churn_score_range",
        ),
    )


class Account(Base):
    """The projection of a member's entries: what is spendable and what is held."""

    __tablename__ = "accounts"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    available: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    # Earned on a purchase, not yet spendable (POL-ACCRUAL-001's pending period).
    pending: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Taken back after the member spent it (POL-REFUND-001): recovered from future earning.
    owed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (
        CheckConstraint("available >= 0", name="account_available_non_negative"),
        CheckConstraint("held >= 0", name="account_held_non_negative"),
        CheckConstraint("pending >= 0", name="account_pending_non_negative"),
        CheckConstraint("owed >= 0", name="account_owed_non_negative"),
    )


class Reward(Base):
    __tablename__ = "rewards"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    point_cost: Mapped[int] = mapped_column(BigInteger)
    min_tier: Mapped[str] = mapped_column(String(16))
    inventory: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Every unit ever put in stock; None with unlimited inventory (see reconcile).
    stock_received: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    partner: Mapped[str] = mapped_column(String(64))
    regions: Mapped[list[str] | None] = mapped_column(ARRAY(String), nullable=True)

    __table_args__ = (
        CheckConstraint("point_cost > 0", name="reward_cost_positive"),
        CheckConstraint("inventory IS NULL OR inventory >= 0", name="reward_inventory"),
        CheckConstraint(
            "(inventory IS NULL) = (stock_received IS NULL) AND"
            " (stock_received IS NULL OR stock_received >= inventory)",
            name="reward_stock_tracked",
        ),
    )


ENTRY_KINDS = (
    "accrue",
    "hold",
    "release",
    "capture",
    "reverse",
    "expire",
    "adjust",
    # earning with a pending period (see ``loyalty.ledger.accruals``)
    "pend",
    "settle",
    "unpend",
    "clawback",
    # expired points given back within POL-EXPIRY-001's reinstatement window
    "reinstate",
)
ENTRY_KINDS_SQL = ",".join(f"'{kind}'" for kind in ENTRY_KINDS)
ENTRY_MOVES_SQL = "delta_available <> 0 OR delta_held <> 0 OR delta_pending <> 0 OR delta_owed <> 0"


class LedgerEntry(Base):
    """One immutable fact about a member's points; never updated, never deleted."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("accounts.member_id"))
    kind: Mapped[str] = mapped_column(String(16))
    delta_available: Mapped[int] = mapped_column(BigInteger)
    delta_held: Mapped[int] = mapped_column(BigInteger)
    available_after: Mapped[int] = mapped_column(BigInteger)
    held_after: Mapped[int] = mapped_column(BigInteger)
    delta_pending: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    pending_after: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    delta_owed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    owed_after: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    idempotency_key: Mapped[str] = mapped_column(String(640), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"), nullable=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("point_lots.id"), nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (
        CheckConstraint(f"kind IN ({ENTRY_KINDS_SQL})", name="entry_kind"),
        CheckConstraint(ENTRY_MOVES_SQL, name="entry_moves_points"),
        Index("ix_ledger_entries_member_id_id", "member_id", "id"),
    )


class PointLot(Base):
    """Points that arrived together and expire together; consumed oldest-expiry first.

    ``remaining`` is part of the projection (it changes in the same transaction as
    the entry that explains the change); the sum of a member's lots equals the
    account's ``available``. The accrual entry that created a lot names it in
    ``lot_id``, written after the lot because entries are immutable.
    """

    __tablename__ = "point_lots"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("accounts.member_id"))
    original_points: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    expired_points: Mapped[int] = mapped_column(BigInteger, default=0)
    # Of the expired points, how many a reinstatement gave back (into a new lot).
    reinstated_points: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (
        CheckConstraint("remaining >= 0", name="lot_remaining_non_negative"),
        CheckConstraint("expired_points >= 0", name="lot_expired_non_negative"),
        CheckConstraint(
            "reinstated_points >= 0 AND reinstated_points <= expired_points",
            name="lot_reinstated_bounded",
        ),
        Index("ix_point_lots_member_expiry", "member_id", "expires_at", "id"),
    )


class Hold(Base):
    """Points (and units of stock) reserved for one redemption until captured or released.

    ``units`` of ``reward_id`` leave the reward's inventory with the hold, come
    back on release, stay consumed on capture; ``units_restocked`` counts the
    units refunds put back.
    """

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("accounts.member_id"))
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="active")
    reversed_points: Mapped[int] = mapped_column(BigInteger, default=0)
    reference: Mapped[str] = mapped_column(String(512), default="")
    reward_id: Mapped[str | None] = mapped_column(ForeignKey("rewards.id"), nullable=True)
    units: Mapped[int] = mapped_column(Integer, default=0)
    units_restocked: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (
        CheckConstraint("points > 0", name="hold_points_positive"),
        CheckConstraint("status IN ('active','released','captured')", name="hold_status"),
        CheckConstraint(
            "reversed_points >= 0 AND reversed_points <= points", name="hold_reversal_bounded"
        ),
        CheckConstraint(
            "units >= 0 AND units_restocked BETWEEN 0 AND units", name="hold_units_bounded"
        ),
        Index("ix_holds_reward_status", "reward_id", "status"),
        Index("ix_holds_status_created", "status", "created_at"),
    )


class HoldTombstone(Base):
    """A hold key released before any hold existed: a hold arriving late under it is refused."""

    __tablename__ = "hold_tombstones"

    hold_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("accounts.member_id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = _now_column()


class BudgetPeriod(Base):
    """The row a discretionary credit locks: one per purpose and month (see ``discretionary``)."""

    __tablename__ = "budget_periods"

    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)

    __table_args__ = (
        CheckConstraint("purpose IN ('goodwill', 'retention')", name="budget_purpose"),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="budget_month_start"),
    )


class HoldAllocation(Base):
    """Which lots a hold drew from, so a release or reversal restores the original expiry."""

    __tablename__ = "hold_allocations"

    hold_id: Mapped[int] = mapped_column(ForeignKey("holds.id"), primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("point_lots.id"), primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger)
    restored_points: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        CheckConstraint("points > 0", name="allocation_points_positive"),
        CheckConstraint(
            "restored_points >= 0 AND restored_points <= points", name="allocation_restore_bounded"
        ),
    )


class Redemption(Base):
    """The stored outcome of a redemption workflow, for listing after it closes."""

    __tablename__ = "redemptions"

    id: Mapped[str] = mapped_column(String(512), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(128))  # unique only within a scoped id
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    reward_id: Mapped[str] = mapped_column(ForeignKey("rewards.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    device_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_points: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"), nullable=True)
    voucher_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # The workflow run that recorded ``outcome`` and how far it had got (see upsert_redemption).
    recorded_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_progress: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Runs whose record another run's replaced (a reset): their late records are ignored.
    replaced_run_ids: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default="{}"
    )
    created_at: Mapped[dt.datetime] = _now_column()
    updated_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (
        CheckConstraint(
            "refunded_quantity >= 0 AND refunded_quantity <= quantity",
            name="refund_within_quantity",
        ),
        CheckConstraint(
            "refunded_points >= 0 AND refunded_points <= points", name="refund_within_points"
        ),
        Index("ix_redemptions_member_created", "member_id", "created_at"),
        Index("ix_redemptions_status", "status"),
    )


class Refund(Base):
    """One refund of a redemption; its id is the refund workflow id, so a retry finds it."""

    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(640), primary_key=True)
    redemption_id: Mapped[str] = mapped_column(ForeignKey("redemptions.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (
        CheckConstraint("points > 0", name="refund_points_positive"),
        CheckConstraint("quantity > 0", name="refund_quantity_positive"),
    )


class AuditRecord(Base):
    """Who did what to which target, and why; append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(640))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[dt.datetime] = _now_column()


class Accrual(Base):
    """Points earned on one order: pending, then available, less what returns took back.

    Its id is the Accrual workflow id, so a repeated post of the order finds it.
    ``pending_points`` is part of the projection: the sum over a member's
    accruals equals the account's ``pending`` (see reconcile).
    """

    __tablename__ = "accruals"

    id: Mapped[str] = mapped_column(String(640), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("accounts.member_id"))
    order_id: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(128))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    tier: Mapped[str] = mapped_column(String(16))
    base_points: Mapped[int] = mapped_column(BigInteger)
    multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    points: Mapped[int] = mapped_column(BigInteger)
    capped_by: Mapped[list[str]] = mapped_column(default=list, server_default="{}")
    # What the order would have earned without max_points_per_purchase (null: not capped
    # or recorded before 0011); the fraud team reads it in the capped-purchases queue.
    points_before_cap: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    pending_points: Mapped[int] = mapped_column(BigInteger)
    settled_points: Mapped[int] = mapped_column(BigInteger, default=0)
    taken_back_points: Mapped[int] = mapped_column(BigInteger, default=0)
    returned_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    status: Mapped[str] = mapped_column(String(16))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("point_lots.id"), nullable=True)
    available_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','available','cancelled','reversed')", name="accrual_status"
        ),
        CheckConstraint(
            "points >= 0 AND pending_points >= 0 AND settled_points >= 0"
            " AND taken_back_points >= 0 AND pending_points + settled_points + taken_back_points"
            " = points",
            name="accrual_points_conserved",
        ),
        CheckConstraint(
            "amount >= 0 AND returned_amount >= 0 AND returned_amount <= amount",
            name="accrual_return_within_amount",
        ),
        Index("ix_accruals_member", "member_id", "created_at"),
        Index(
            "ix_accruals_capped_purchase",
            text("created_at DESC"),
            "id",
            postgresql_where=text("'max_points_per_purchase' = ANY (capped_by)"),
        ),
    )


class AccrualReturn(Base):
    """One return against an accrual; its id is the return's idempotency key."""

    __tablename__ = "accrual_returns"

    id: Mapped[str] = mapped_column(String(640), primary_key=True)
    accrual_id: Mapped[str] = mapped_column(ForeignKey("accruals.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    points: Mapped[int] = mapped_column(BigInteger)
    from_pending: Mapped[int] = mapped_column(BigInteger)
    from_available: Mapped[int] = mapped_column(BigInteger)
    shortfall: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (
        CheckConstraint(
            "amount > 0 AND points >= 0 AND from_pending >= 0 AND from_available >= 0"
            " AND shortfall >= 0 AND from_pending + from_available + shortfall = points",
            name="accrual_return_split",
        ),
    )


class ExpiryNotice(Base):
    """One advance notice (POL-EXPIRY-001) of the points expiring on a date; sent once."""

    __tablename__ = "expiry_notices"

    member_id: Mapped[str] = mapped_column(ForeignKey("accounts.member_id"), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    days_before: Mapped[int] = mapped_column(Integer, primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger)
    run_key: Mapped[str] = mapped_column(String(640))
    # The sending run's as_of: the lead time the member got is expires_at - sent_at
    # (null before migration 0012: created_at stands in).
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (Index("ix_expiry_notices_run", "run_key"),)


class ExpiryExtension(Base):
    """A support agent pushed back a member's expiry date (idempotent by its id)."""

    __tablename__ = "expiry_extensions"

    id: Mapped[str] = mapped_column(String(640), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("accounts.member_id"))
    expires_on: Mapped[dt.date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(BigInteger)
    lot_ids: Mapped[list[str]] = mapped_column(default=list)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (
        CheckConstraint("days > 0 AND points > 0", name="extension_positive"),
        Index("ix_expiry_extensions_member", "member_id", "created_at"),
    )


class PromotionVersion(Base):
    """One version of a promotion (POL-PROMO-001); an edit inserts the next version.

    Versions are facts (INSERT and SELECT only): a redemption's breakdown names
    ``<promotion_id>@<version>`` and that version stays readable forever. The
    promotion as it stands is its highest version.
    """

    __tablename__ = "promotion_versions"

    promotion_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    reward_ids: Mapped[list[str]] = mapped_column(default=list, server_default="{}")
    categories: Mapped[list[str]] = mapped_column(default=list, server_default="{}")
    tiers: Mapped[list[str]] = mapped_column(default=list, server_default="{}")
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    promo_code: Mapped[str | None] = mapped_column(String(64))
    changed_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (
        CheckConstraint("version >= 1", name="promotion_version_positive"),
        CheckConstraint(
            "kind IN ('redeem_discount_percent','earn_bonus_multiplier')", name="promotion_kind"
        ),
        CheckConstraint("value > 0", name="promotion_value_positive"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="promotion_window"),
    )


class PromoCodeUse(Base):
    """One use of a promo code by a member, written in the hold's transaction.

    Its id is the redemption's, so a retried hold finds its own use.
    """

    __tablename__ = "promo_code_uses"

    redemption_id: Mapped[str] = mapped_column(String(640), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("accounts.member_id"))
    promo_code: Mapped[str] = mapped_column(String(64))
    promotion_id: Mapped[str] = mapped_column(String(64))
    promotion_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = _now_column()

    __table_args__ = (Index("ix_promo_code_uses_member_code", "member_id", "promo_code"),)

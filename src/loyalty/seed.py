"""The demo program: tiers, 60 members with varied histories, a 24-reward catalog.

Deterministic (a fixed random seed) and idempotent: every posting has a stable
key, and a key already in the ledger is skipped, so re-seeding adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from loyalty.ledger.catalog import ensure_member, upsert_reward
from loyalty.ledger.models import Reward
from loyalty.ledger.repository import Ledger

DEMO_MEMBER = "M0001"
MEMBER_COUNT = 60
TIER_WEIGHTS = {"bronze": 45, "silver": 30, "gold": 17, "platinum": 8}
REGIONS = ["US", "US", "US", "CA", "GB", "DE", "FR", "JP", "BR"]

# id, name, category, cost, min tier, inventory (None = unlimited), partner, regions
CATALOG: list[tuple[str, str, str, int, str, int | None, str, list[str] | None]] = [
    ("R-COFFEE", "Coffee voucher", "dining", 500, "bronze", None, "brewco", None),
    ("R-BAKERY", "Bakery treat box", "dining", 900, "bronze", 500, "brewco", ["US", "CA"]),
    ("R-DINNER-2", "Dinner for two", "dining", 6_000, "silver", 120, "tablefinder", None),
    (
        "R-CHEF-TABLE",
        "Chef's table experience",
        "experience",
        30_000,
        "platinum",
        10,
        "tablefinder",
        ["US", "GB"],
    ),
    ("R-MOVIE", "Cinema ticket", "entertainment", 1_200, "bronze", None, "screenpass", None),
    (
        "R-STREAM-3M",
        "Streaming, 3 months",
        "entertainment",
        4_500,
        "silver",
        None,
        "screenpass",
        None,
    ),
    ("R-CONCERT", "Concert tickets", "experience", 15_000, "gold", 40, "eventhub", None),
    ("R-GIFT-10", "Gift card, 10", "gift_card", 1_000, "bronze", None, "giftly", None),
    ("R-GIFT-25", "Gift card, 25", "gift_card", 2_500, "bronze", None, "giftly", None),
    ("R-GIFT-50", "Gift card, 50", "gift_card", 5_000, "silver", None, "giftly", None),
    ("R-GIFT-100", "Gift card, 100", "gift_card", 10_000, "gold", None, "giftly", None),
    ("R-HEADPHONES", "Wireless headphones", "merchandise", 18_000, "silver", 60, "gearbox", None),
    ("R-BACKPACK", "Travel backpack", "merchandise", 8_000, "bronze", 150, "gearbox", None),
    ("R-WATCH", "Smart watch", "merchandise", 35_000, "gold", 25, "gearbox", ["US", "CA", "GB"]),
    ("R-MUG", "Branded mug", "merchandise", 600, "bronze", 0, "gearbox", None),
    ("R-LOUNGE", "Airport lounge pass", "travel", 7_500, "silver", None, "skyway", None),
    ("R-UPGRADE", "Seat upgrade", "travel", 20_000, "gold", None, "skyway", None),
    ("R-HOTEL-1N", "Hotel night", "travel", 25_000, "gold", 80, "staywell", None),
    ("R-HOTEL-SUITE", "Suite weekend", "travel", 90_000, "platinum", 5, "staywell", None),
    ("R-CAR-DAY", "Car rental day", "travel", 9_000, "silver", None, "roadly", ["US", "DE", "FR"]),
    ("R-TREES", "Plant ten trees", "charity", 500, "bronze", None, "greenroots", None),
    ("R-MEALS", "Donate five meals", "charity", 800, "bronze", None, "foodshare", None),
    ("R-SPA", "Spa afternoon", "experience", 22_000, "gold", 30, "calmday", ["US", "FR", "JP"]),
    ("R-RETIRED-TOTE", "Tote bag (retired)", "merchandise", 700, "bronze", 100, "gearbox", None),
]
INACTIVE = {"R-RETIRED-TOTE"}

SeedAction = Callable[[Ledger, str], None]


@dataclass(frozen=True)
class SeedSummary:
    members: int
    rewards: int
    entries_posted: int
    entries_skipped: int


def seed_demo_program(sessions: sessionmaker[Session], ledger: Ledger) -> SeedSummary:
    """Load or top up the demo program; returns what was written this time."""
    rng = random.Random(20261123)
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with sessions.begin() as session:
        for row in CATALOG:
            upsert_reward(session, reward=_reward(*row))
        member_ids = [
            _seed_member(session, rng, n, today.date()) for n in range(1, MEMBER_COUNT + 1)
        ]
    posted = skipped = 0
    for member_id in member_ids:
        for key, action in _history(rng, member_id, today):
            if ledger.find(idempotency_key=key):
                skipped += 1
                continue
            action(ledger, key)
            posted += 1
    return SeedSummary(len(member_ids), len(CATALOG), posted, skipped)


def _reward(
    rid: str,
    name: str,
    category: str,
    cost: int,
    tier: str,
    inventory: int | None,
    partner: str,
    regions: list[str] | None,
) -> Reward:
    return Reward(
        id=rid,
        name=name,
        category=category,
        point_cost=cost,
        min_tier=tier,
        inventory=inventory,
        active=rid not in INACTIVE,
        partner=partner,
        regions=regions,
    )


def _seed_member(session: Session, rng: random.Random, n: int, today: dt.date) -> str:
    member_id = f"M{n:04d}"
    tier = "gold" if n == 1 else rng.choices(list(TIER_WEIGHTS), list(TIER_WEIGHTS.values()))[0]
    status = {17: "suspended", 33: "suspended", 48: "closed"}.get(n, "active")
    # A few brand-new accounts give the fraud rules something to notice.
    age_days = rng.randint(3, 12) if n % 19 == 0 else rng.randint(60, 3000)
    ensure_member(
        session,
        member_id=member_id,
        tier=tier,
        status=status,
        region="US" if n == 1 else rng.choice(REGIONS),
        joined_on=today - dt.timedelta(days=age_days),
    )
    return member_id


def _history(
    rng: random.Random, member_id: str, today: dt.datetime
) -> list[tuple[str, SeedAction]]:
    """Accruals with staggered expiry (some within 30 days) and a few past redemptions."""
    actions: list[tuple[str, SeedAction]] = []
    accrued = 0
    accruals = 6 if member_id == DEMO_MEMBER else rng.randint(2, 7)
    for i in range(accruals):
        points = rng.choice([250, 500, 800, 1_200, 2_000, 3_500, 5_000, 12_000])
        expires = today + dt.timedelta(days=rng.choice([12, 25, 45, 120, 240, 400, 700]))
        actions.append((f"seed:{member_id}:accrue:{i}", _accrue(member_id, points, expires)))
        accrued += points
    for i in range(rng.randint(0, 3)):
        points = rng.choice([400, 1_000, 2_500])
        if points <= accrued:  # only spends the history can afford, so every run agrees
            actions.append((f"seed:{member_id}:spend:{i}", _spend(member_id, points)))
            accrued -= points
    return actions


def _accrue(member_id: str, points: int, expires: dt.datetime) -> SeedAction:
    def run(ledger: Ledger, key: str) -> None:
        ledger.accrue(
            member_id=member_id,
            points=points,
            expires_at=expires,
            idempotency_key=key,
            reason="seed: purchase accrual",
            actor="seed",
        )

    return run


def _spend(member_id: str, points: int) -> SeedAction:
    def run(ledger: Ledger, key: str) -> None:
        hold = ledger.hold(
            member_id=member_id,
            points=points,
            idempotency_key=key,
            reference="seed: past redemption",
        )
        assert hold.hold_id is not None
        ledger.capture(hold_id=hold.hold_id, idempotency_key=f"{key}:capture")

    return run

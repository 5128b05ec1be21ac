"""Promotion versions: every change inserts the next version, concurrent changes never collide."""

from __future__ import annotations

import dataclasses
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from loyalty.domain.promotions import PromotionKind, PromotionScope
from loyalty.ledger import promotions
from tests.conftest import unique_id

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CHANGE = promotions.PromotionChange(
    campaign="spring",
    name="Spring",
    kind=PromotionKind.REDEEM_DISCOUNT_PERCENT,
    value=Decimal(10),
    scope=PromotionScope(reward_ids=frozenset({"R-none"})),
    starts_at=START,
    ends_at=None,
    promo_code=None,
)


def test_concurrent_changes_get_consecutive_versions(sessions: sessionmaker[Session]) -> None:
    promotion_id = unique_id("P")
    with sessions.begin() as session:
        promotions.create(session, promotion_id=promotion_id, change=CHANGE, actor="op-1")

    def reschedule(days: int) -> int:
        change = dataclasses.replace(CHANGE, ends_at=START + dt.timedelta(days=days + 1))
        with sessions.begin() as session:
            row = promotions.add_version(
                session, promotion_id=promotion_id, change=change, actor="op-1"
            )
            return row.version

    with ThreadPoolExecutor(max_workers=8) as pool:
        made = sorted(pool.map(reschedule, range(8)))

    assert made == list(range(2, 10))
    with sessions() as session:
        rows = promotions.versions(session, promotion_id=promotion_id)
        current = {r.promotion_id: r.version for r in promotions.current_versions(session)}
    assert [r.version for r in rows] == list(range(1, 10))
    assert current[promotion_id] == 9

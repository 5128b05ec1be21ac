"""A promo code a member may use once is counted in the hold, under the account lock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from loyalty.errors import PromoCodeUsedError
from loyalty.ledger.promotions import CodeUse
from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from tests.conftest import MemberFactory, unique_id
from tests.support.policies import POLICIES

ALLOWED = PolicyBook(POLICIES).stacking_rules().promo_code_uses_per_member


def test_concurrent_holds_with_one_code_use_it_at_most_the_allowed_times(
    ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=10_000)
    use = CodeUse(code="SPRING", promotion_id="P-spring", version=1, allowed=ALLOWED)

    def try_hold(i: int) -> bool:
        try:
            ledger.hold(
                member_id=member,
                points=100,
                idempotency_key=unique_id("hold"),
                reference=f"redemption-{i}-{unique_id('r')}",
                promo_code=use,
            )
        except PromoCodeUsedError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=10) as pool:
        held = list(pool.map(try_hold, range(10)))

    assert sum(held) == ALLOWED
    assert ledger.balance(member_id=member).held == 100 * ALLOWED
    assert ledger.reconcile(member_id=member) == []


def test_a_retried_hold_counts_its_code_once(ledger: Ledger, new_member: MemberFactory) -> None:
    member = new_member(points=1_000)
    use = CodeUse(code="ONCE", promotion_id="P-once", version=1, allowed=ALLOWED)
    key, reference = unique_id("hold"), unique_id("redemption")

    first = ledger.hold(
        member_id=member, points=100, idempotency_key=key, reference=reference, promo_code=use
    )
    again = ledger.hold(
        member_id=member, points=100, idempotency_key=key, reference=reference, promo_code=use
    )

    assert first.hold_id == again.hold_id
    assert ledger.balance(member_id=member).held == 100


def test_a_released_hold_gives_the_code_use_back(ledger: Ledger, new_member: MemberFactory) -> None:
    member = new_member(points=1_000)
    use = CodeUse(code="BACK", promotion_id="P-back", version=1, allowed=ALLOWED)

    def hold(reference: str) -> int:
        held = ledger.hold(
            member_id=member,
            points=100,
            idempotency_key=unique_id("hold"),
            reference=reference,
            promo_code=use,
        )
        assert held.hold_id is not None
        return held.hold_id

    first = hold(unique_id("redemption"))
    for _ in range(ALLOWED - 1):
        hold(unique_id("redemption"))
    with pytest.raises(PromoCodeUsedError):
        hold(unique_id("redemption"))

    ledger.release(hold_id=first, idempotency_key=unique_id("release"), reason="compensated")
    hold(unique_id("redemption"))  # the released redemption's use came back
    with pytest.raises(PromoCodeUsedError):
        hold(unique_id("redemption"))

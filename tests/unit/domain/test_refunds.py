"""Refund plans: parts add up to the price exactly, and impossible refunds are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.domain.refunds import RefundableRedemption, plan_refund
from loyalty.errors import InvalidStateError


def redemption(
    *, quantity: int = 3, points: int = 1_000, refunded_units: int = 0, refunded_points: int = 0
) -> RefundableRedemption:
    return RefundableRedemption(
        redemption_id="redemption-r1",
        status="completed",
        quantity=quantity,
        points=points,
        refunded_quantity=refunded_units,
        refunded_points=refunded_points,
    )


def test_a_part_refunds_its_share_rounded_down() -> None:
    plan = plan_refund(redemption(), units=1)
    assert (plan.units, plan.points, plan.closes) == (1, 333, False)


def test_the_last_units_take_what_is_left() -> None:
    plan = plan_refund(redemption(refunded_units=2, refunded_points=666), units=None)
    assert (plan.units, plan.points, plan.closes) == (1, 334, True)


@given(
    quantity=st.integers(1, 20),
    points=st.integers(1, 1_000_000),
    cuts=st.lists(st.integers(1, 20), max_size=20),
)
def test_parts_always_add_up_to_the_price(quantity: int, points: int, cuts: list[int]) -> None:
    refunded_units = refunded_points = 0
    for cut in cuts:
        left = quantity - refunded_units
        if left == 0:
            break
        plan = plan_refund(
            redemption(
                quantity=quantity,
                points=points,
                refunded_units=refunded_units,
                refunded_points=refunded_points,
            ),
            units=min(cut, left),
        )
        refunded_units += plan.units
        refunded_points += plan.points
        assert plan.closes == (refunded_units == quantity)
    if refunded_units < quantity:
        last = plan_refund(
            redemption(
                quantity=quantity,
                points=points,
                refunded_units=refunded_units,
                refunded_points=refunded_points,
            ),
            units=None,
        )
        refunded_points += last.points
    assert refunded_points == points


@pytest.mark.parametrize(
    ("status", "units", "refunded", "message"),
    [
        ("failed", None, 0, "not completed"),
        ("completed", 4, 0, "only 3 units"),
        ("completed", None, 3, "only 0 units"),
    ],
)
def test_impossible_refunds_are_refused(
    status: str, units: int | None, refunded: int, message: str
) -> None:
    target = RefundableRedemption(
        redemption_id="redemption-r1",
        status=status,
        quantity=3,
        points=900,
        refunded_quantity=refunded,
        refunded_points=300 * refunded,
    )
    with pytest.raises(InvalidStateError) as refused:
        plan_refund(target, units=units)
    assert message in refused.value.reasons[0]

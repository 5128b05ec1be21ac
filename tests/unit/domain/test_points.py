"""Integer-points validators and the single rounding rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.domain.points import (
    percent_discount,
    require_non_negative_points,
    require_percent,
    require_positive_points,
)
from loyalty.errors import ValidationError


def test_positive_accepts_one_and_rejects_zero() -> None:
    assert require_positive_points(1) == 1
    with pytest.raises(ValidationError, match="quantity must be >= 1"):
        require_positive_points(0, name="quantity")


def test_non_negative_accepts_zero_and_rejects_minus_one() -> None:
    assert require_non_negative_points(0) == 0
    with pytest.raises(ValidationError):
        require_non_negative_points(-1)


@pytest.mark.parametrize("bad", [True, False, 1.0, "5", None])
def test_non_integers_are_rejected(bad: object) -> None:
    with pytest.raises(ValidationError, match="must be an integer"):
        require_non_negative_points(bad)


@pytest.mark.parametrize(("value", "ok"), [(0, True), (100, True), (-1, False), (101, False)])
def test_percent_bounds(value: int, ok: bool) -> None:
    if ok:
        assert require_percent(value) == value
    else:
        with pytest.raises(ValidationError):
            require_percent(value)


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        (999, 10, 99),  # 99.9 rounds down
        (1000, 10, 100),  # exact
        (1, 99, 0),  # 0.99 rounds down to nothing
        (7, 100, 7),
        (0, 50, 0),
    ],
)
def test_percent_discount_rounds_down(amount: int, percent: int, expected: int) -> None:
    assert percent_discount(amount, percent) == expected


@given(st.integers(0, 10**9), st.integers(0, 100))
def test_percent_discount_is_floor_and_bounded(amount: int, percent: int) -> None:
    off = percent_discount(amount, percent)
    assert isinstance(off, int)
    assert 0 <= off <= amount
    # Floor: the exact discount lies in [off, off + 1).
    assert off * 100 <= amount * percent < (off + 1) * 100

"""Integer points: validators and the one rounding rule.

Points are whole numbers everywhere in the product (the ledger stores them as
integers), so every helper here accepts and returns ``int`` and refuses
``bool`` (a subclass of ``int`` that would otherwise slip through as 0 or 1).

The rounding rule lives here, once, in :func:`percent_discount`: a percentage
discount is rounded DOWN to whole points. The member therefore never receives
a fractional point and the program never discounts more than the stated
percentage.
"""

from __future__ import annotations

from loyalty.errors import ValidationError


def _require_int(value: object, *, name: str) -> int:
    # bool is an int subclass; True as "1 point" is always a caller bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an integer, got {type(value).__name__}")
    return value


def require_non_negative_points(value: object, *, name: str = "points") -> int:
    """Return ``value`` if it is an integer >= 0.

    Args:
        value: The candidate amount or count.
        name: Field name used in the error message.

    Raises:
        ValidationError: If ``value`` is not an int or is negative.
    """
    checked = _require_int(value, name=name)
    if checked < 0:
        raise ValidationError(f"{name} must be >= 0, got {checked}")
    return checked


def require_positive_points(value: object, *, name: str = "points") -> int:
    """Return ``value`` if it is an integer >= 1.

    Args:
        value: The candidate amount or count.
        name: Field name used in the error message.

    Raises:
        ValidationError: If ``value`` is not an int or is below 1.
    """
    checked = _require_int(value, name=name)
    if checked < 1:
        raise ValidationError(f"{name} must be >= 1, got {checked}")
    return checked


def require_percent(value: object, *, name: str = "percent") -> int:
    """Return ``value`` if it is a whole percentage between 0 and 100.

    Percentages are whole numbers so that configuration stays exact and the
    only rounding in the product happens in :func:`percent_discount`.

    Raises:
        ValidationError: If ``value`` is not an int in ``[0, 100]``.
    """
    checked = _require_int(value, name=name)
    if not 0 <= checked <= 100:
        raise ValidationError(f"{name} must be between 0 and 100, got {checked}")
    return checked


def percent_discount(amount: int, percent: int) -> int:
    """Return ``percent`` % of ``amount`` in whole points, rounded DOWN.

    This is the product's single rounding rule. Rounding the discount down
    means the member pays the rounded-up remainder: nobody gets fractional
    points and the program never gives away more than the stated percentage.

    Args:
        amount: Points the percentage applies to (>= 0).
        percent: Whole percentage in ``[0, 100]``.

    Returns:
        The discount, an int with ``0 <= discount <= amount``.
    """
    require_non_negative_points(amount, name="amount")
    require_percent(percent)
    # Integer floor division: exact, no float error, and floor == "down" here
    # because both operands are non-negative.
    return amount * percent // 100

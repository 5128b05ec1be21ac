"""Fraud signals, their inclusive thresholds, scoring and verdict cut-offs."""

from __future__ import annotations

import dataclasses

import pytest

from loyalty.domain.fraud import (
    FraudSignal,
    FraudThresholds,
    FraudVerdict,
    assess_fraud,
    verdict_for,
)
from loyalty.errors import ValidationError
from tests.unit.domain.factories import make_fraud_input, make_thresholds


def fired(thresholds: FraudThresholds | None = None, **overrides: object) -> list[str]:
    result = assess_fraud(make_fraud_input(**overrides), thresholds or make_thresholds())
    return list(result.codes)


def test_clean_redemption_fires_nothing_and_is_approved() -> None:
    result = assess_fraud(make_fraud_input(), make_thresholds())
    assert result.reasons == ()
    assert result.score == 0
    assert result.verdict is FraudVerdict.APPROVE


@pytest.mark.parametrize(("count", "fires"), [(2, False), (3, True)])
def test_velocity_hour_threshold_is_inclusive(count: int, fires: bool) -> None:
    got = fired(redemptions_last_hour=count, redemptions_last_day=count)
    assert got == (["velocity_hour"] if fires else [])


@pytest.mark.parametrize(("count", "fires"), [(9, False), (10, True)])
def test_velocity_day_threshold_is_inclusive(count: int, fires: bool) -> None:
    assert fired(redemptions_last_day=count) == (["velocity_day"] if fires else [])


@pytest.mark.parametrize(("points", "fires"), [(99, False), (100, True)])
def test_value_vs_average_exact_fraction(points: int, fires: bool) -> None:
    # Three past redemptions of 30, 30, 40: average 33.33..., 300 % of it is 100.
    # The max signal is pushed out of the way so only the average one can fire.
    thresholds = make_thresholds(value_vs_max_percent=1_000)
    got = fired(
        thresholds,
        points=points,
        history_count=3,
        history_total_points=100,
        history_max_points=40,
    )
    assert got == (["value_vs_average"] if fires else [])


@pytest.mark.parametrize(("points", "fires"), [(299, False), (300, True)])
def test_value_vs_max_threshold(points: int, fires: bool) -> None:
    # Max 200, trigger 150 % = 300. Average signal disabled by a huge percent.
    thresholds = make_thresholds(value_vs_average_percent=10_000)
    assert fired(thresholds, points=points) == (["value_vs_max"] if fires else [])


def test_value_signals_need_history() -> None:
    got = fired(points=5_000, history_count=0, history_total_points=0, history_max_points=0)
    assert "value_vs_average" not in got and "value_vs_max" not in got


def test_new_channel() -> None:
    assert fired(channel="kiosk") == ["new_channel"]


def test_first_ever_channel_is_new() -> None:
    assert fired(known_channels=frozenset()) == ["new_channel"]


def test_new_device() -> None:
    assert fired(device_id="device-2") == ["new_device"]


def test_a_missing_device_id_is_an_unknown_device_and_fires() -> None:
    assert fired(device_id=None, known_devices=frozenset()) == ["new_device"]


@pytest.mark.parametrize(("age", "fires"), [(7, True), (8, False), (0, True)])
def test_new_account_threshold_is_inclusive(age: int, fires: bool) -> None:
    assert fired(account_age_days=age) == (["new_account"] if fires else [])


@pytest.mark.parametrize(
    ("points", "balance", "fires"),
    [
        (799, 1_000, False),
        (800, 1_000, True),  # exactly 80 %
        (1, 0, True),  # anything is "all" of an empty balance
    ],
)
def test_balance_share(points: int, balance: int, fires: bool) -> None:
    # Value signals disabled: these point amounts are large relative to history.
    thresholds = make_thresholds(value_vs_average_percent=10_000, value_vs_max_percent=10_000)
    got = fired(thresholds, points=points, available_balance=balance)
    assert got == (["balance_share"] if fires else [])


def test_score_is_sum_of_fired_weights() -> None:
    # New channel (10) + new device (15) = 25.
    result = assess_fraud(
        make_fraud_input(channel="kiosk", device_id="device-9"), make_thresholds()
    )
    assert result.score == 25
    assert [r.weight for r in result.reasons] == [10, 15]
    assert result.verdict is FraudVerdict.APPROVE


@pytest.mark.parametrize(
    ("weight", "verdict"),
    [
        (39, FraudVerdict.APPROVE),
        (40, FraudVerdict.REVIEW),  # exactly review_score
        (69, FraudVerdict.REVIEW),
        (70, FraudVerdict.DENY),  # exactly deny_score
    ],
)
def test_verdict_cut_offs_are_inclusive(weight: int, verdict: FraudVerdict) -> None:
    thresholds = make_thresholds(new_channel_weight=weight)
    result = assess_fraud(make_fraud_input(channel="kiosk"), thresholds)
    assert result.score == weight
    assert result.verdict is verdict


def test_verdict_for_with_equal_cut_offs_denies() -> None:
    thresholds = make_thresholds(review_score=50, deny_score=50)
    assert verdict_for(49, thresholds) is FraudVerdict.APPROVE
    assert verdict_for(50, thresholds) is FraudVerdict.DENY


def test_all_signals_fire_together() -> None:
    data = make_fraud_input(
        points=1_000,  # 1000 % of average 100, 500 % of max 200, 100 % of balance
        available_balance=1_000,
        redemptions_last_hour=3,
        redemptions_last_day=10,
        channel="kiosk",
        device_id="device-2",
        account_age_days=1,
    )
    result = assess_fraud(data, make_thresholds())
    assert list(result.codes) == [signal.value for signal in FraudSignal]
    assert result.score == 30 + 20 + 25 + 25 + 10 + 15 + 20 + 20
    assert result.verdict is FraudVerdict.DENY
    assert all(reason.message for reason in result.reasons)


def test_deterministic() -> None:
    data = make_fraud_input(channel="kiosk", redemptions_last_hour=5)
    assert assess_fraud(data, make_thresholds()) == assess_fraud(data, make_thresholds())


def test_thresholds_have_no_defaults() -> None:
    for field in dataclasses.fields(FraudThresholds):
        assert field.default is dataclasses.MISSING, field.name
        assert field.default_factory is dataclasses.MISSING, field.name
    with pytest.raises(TypeError):
        FraudThresholds()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "override",
    [
        {"review_score": 80, "deny_score": 70},
        {"velocity_hour_count": 0},
        {"new_device_weight": -1},
        {"balance_share_percent": 0},
    ],
)
def test_invalid_thresholds_are_rejected(override: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        make_thresholds(**override)


@pytest.mark.parametrize(
    "override",
    [
        {"points": 0},
        {"available_balance": -1},
        {"history_count": 0, "history_total_points": 5, "history_max_points": 5},
        {"history_max_points": 2_000},  # above the total of 1000
    ],
)
def test_invalid_input_is_rejected(override: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        make_fraud_input(**override)

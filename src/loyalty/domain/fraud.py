"""Fraud scoring for a single redemption: weighted signals, three verdicts.

Each signal below either fires or not; a fired signal adds its configured
weight to the score, and the score maps to a verdict::

    score >= deny_score    -> deny
    score >= review_score  -> review
    otherwise              -> approve

Every threshold is INCLUSIVE: reaching it fires the signal. All numbers come
from :class:`FraudThresholds`, which deliberately has no defaults: fraud
tuning belongs to configuration, and a forgotten field must fail loudly
rather than silently fall back to a guess.

Signals (codes are stable):

* ``velocity_hour`` / ``velocity_day``: the member already made at least N
  redemptions in the last hour / day.
* ``value_vs_average``: this redemption's points are at least
  ``value_vs_average_percent`` % of the member's average past redemption.
* ``value_vs_max``: at least ``value_vs_max_percent`` % of the member's
  largest past redemption. Both value signals need history; a member with
  none is covered by the account-age and new-channel/device signals instead.
* ``new_channel`` / ``new_device``: not seen before for this member. A
  redemption without a device id fires ``new_device`` too: the device is
  unknown, and leaving it out must never be a way around the signal.
* ``new_account``: the account is at most ``new_account_max_age_days`` old.
* ``balance_share``: the points are at least ``balance_share_percent`` % of
  the available balance (all of it or more fires at <= 100 %).

All arithmetic is on integers (ratios are cross-multiplied), so the same
input always gives the same score on every machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from loyalty.domain.points import require_non_negative_points, require_positive_points
from loyalty.errors import ValidationError


class FraudVerdict(StrEnum):
    """What the saga does next: continue, wait for a human, or refuse."""

    APPROVE = "approve"
    REVIEW = "review"
    DENY = "deny"


class FraudSignal(StrEnum):
    """Stable machine codes of the fraud signals."""

    VELOCITY_HOUR = "velocity_hour"
    VELOCITY_DAY = "velocity_day"
    VALUE_VS_AVERAGE = "value_vs_average"
    VALUE_VS_MAX = "value_vs_max"
    NEW_CHANNEL = "new_channel"
    NEW_DEVICE = "new_device"
    NEW_ACCOUNT = "new_account"
    BALANCE_SHARE = "balance_share"


@dataclass(frozen=True, slots=True, kw_only=True)
class FraudThresholds:
    """Every fraud-tuning number; supplied by configuration, no defaults.

    Counts, percents and days are inclusive trigger points; weights are the
    score each fired signal adds.
    """

    velocity_hour_count: int
    velocity_hour_weight: int
    velocity_day_count: int
    velocity_day_weight: int
    value_vs_average_percent: int
    value_vs_average_weight: int
    value_vs_max_percent: int
    value_vs_max_weight: int
    new_channel_weight: int
    new_device_weight: int
    new_account_max_age_days: int
    new_account_weight: int
    balance_share_percent: int
    balance_share_weight: int
    review_score: int
    deny_score: int

    def __post_init__(self) -> None:
        # A zero trigger would fire on every redemption: surely a config typo.
        for name in (
            "velocity_hour_count",
            "velocity_day_count",
            "value_vs_average_percent",
            "value_vs_max_percent",
            "balance_share_percent",
            "review_score",
        ):
            require_positive_points(getattr(self, name), name=name)
        for name in (
            "velocity_hour_weight",
            "velocity_day_weight",
            "value_vs_average_weight",
            "value_vs_max_weight",
            "new_channel_weight",
            "new_device_weight",
            "new_account_max_age_days",
            "new_account_weight",
            "balance_share_weight",
        ):
            require_non_negative_points(getattr(self, name), name=name)
        require_positive_points(self.deny_score, name="deny_score")
        if self.deny_score < self.review_score:
            raise ValidationError("deny_score must be >= review_score")


@dataclass(frozen=True, slots=True, kw_only=True)
class FraudInput:
    """The redemption under assessment and the member's recent history.

    Attributes:
        points: Points this redemption costs.
        available_balance: Member's available points before this redemption.
        redemptions_last_hour: Prior redemptions in the last hour (not this one).
        redemptions_last_day: Prior redemptions in the last 24 hours.
        history_count: Number of past redemptions considered for value signals.
        history_total_points: Sum of their points (average = total / count).
        history_max_points: Largest of them (0 when there is no history).
        channel: Channel of this redemption, e.g. ``"app"`` or ``"web"``.
        known_channels: Channels this member has used before.
        device_id: Device fingerprint, or ``None`` when unknown (which fires ``new_device``).
        known_devices: Devices this member has used before.
        account_age_days: Whole days since the account was opened.
    """

    points: int
    available_balance: int
    redemptions_last_hour: int
    redemptions_last_day: int
    history_count: int
    history_total_points: int
    history_max_points: int
    channel: str
    known_channels: frozenset[str]
    device_id: str | None
    known_devices: frozenset[str]
    account_age_days: int

    def __post_init__(self) -> None:
        require_positive_points(self.points, name="points")
        for name in (
            "available_balance",
            "redemptions_last_hour",
            "redemptions_last_day",
            "history_count",
            "history_total_points",
            "history_max_points",
            "account_age_days",
        ):
            require_non_negative_points(getattr(self, name), name=name)
        # Inconsistent summaries mean the caller aggregated the wrong rows.
        if self.history_count == 0 and (self.history_total_points or self.history_max_points):
            raise ValidationError("history points must be 0 when history_count is 0")
        if self.history_max_points > self.history_total_points:
            raise ValidationError("history_max_points cannot exceed history_total_points")


@dataclass(frozen=True, slots=True, kw_only=True)
class FraudReason:
    """One fired signal and the score it added."""

    code: str
    message: str
    weight: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FraudAssessment:
    """Verdict, total score (sum of fired weights) and every fired signal."""

    verdict: FraudVerdict
    score: int
    reasons: tuple[FraudReason, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """The machine codes of the fired signals, in check order."""
        return tuple(reason.code for reason in self.reasons)


def assess_fraud(data: FraudInput, thresholds: FraudThresholds) -> FraudAssessment:
    """Score a redemption and decide approve / review / deny.

    Args:
        data: The redemption and the member's history.
        thresholds: Configured triggers, weights and verdict cut-offs.

    Returns:
        The assessment; identical inputs always give identical output.
    """
    fired = tuple(reason for check in _CHECKS if (reason := check(data, thresholds)) is not None)
    score = sum(reason.weight for reason in fired)
    return FraudAssessment(verdict=verdict_for(score, thresholds), score=score, reasons=fired)


def verdict_for(score: int, thresholds: FraudThresholds) -> FraudVerdict:
    """Map a score to a verdict; each cut-off is reached at equality."""
    if score >= thresholds.deny_score:
        return FraudVerdict.DENY
    if score >= thresholds.review_score:
        return FraudVerdict.REVIEW
    return FraudVerdict.APPROVE


def _at_least_percent(part: int, whole: int, percent: int) -> bool:
    # part / whole >= percent / 100, cross-multiplied to stay in integers.
    return part * 100 >= whole * percent


def _velocity_hour(data: FraudInput, t: FraudThresholds) -> FraudReason | None:
    if data.redemptions_last_hour < t.velocity_hour_count:
        return None
    return FraudReason(
        code=FraudSignal.VELOCITY_HOUR,
        message=f"{data.redemptions_last_hour} redemptions in the last hour "
        f"(trigger {t.velocity_hour_count}).",
        weight=t.velocity_hour_weight,
    )


def _velocity_day(data: FraudInput, t: FraudThresholds) -> FraudReason | None:
    if data.redemptions_last_day < t.velocity_day_count:
        return None
    return FraudReason(
        code=FraudSignal.VELOCITY_DAY,
        message=f"{data.redemptions_last_day} redemptions in the last day "
        f"(trigger {t.velocity_day_count}).",
        weight=t.velocity_day_weight,
    )


def _value_vs_average(data: FraudInput, t: FraudThresholds) -> FraudReason | None:
    if data.history_count == 0:
        return None
    # points / (total / count) >= percent / 100  <=>  points*count*100 >= total*percent
    if not _at_least_percent(
        data.points * data.history_count, data.history_total_points, t.value_vs_average_percent
    ):
        return None
    return FraudReason(
        code=FraudSignal.VALUE_VS_AVERAGE,
        message=f"{data.points} points is at least {t.value_vs_average_percent}% of the "
        f"member's average past redemption.",
        weight=t.value_vs_average_weight,
    )


def _value_vs_max(data: FraudInput, t: FraudThresholds) -> FraudReason | None:
    if data.history_count == 0:
        return None
    if not _at_least_percent(data.points, data.history_max_points, t.value_vs_max_percent):
        return None
    return FraudReason(
        code=FraudSignal.VALUE_VS_MAX,
        message=f"{data.points} points is at least {t.value_vs_max_percent}% of the "
        f"member's largest past redemption ({data.history_max_points}).",
        weight=t.value_vs_max_weight,
    )


def _new_channel(data: FraudInput, t: FraudThresholds) -> FraudReason | None:
    if data.channel in data.known_channels:
        return None
    return FraudReason(
        code=FraudSignal.NEW_CHANNEL,
        message=f"First redemption through channel {data.channel!r}.",
        weight=t.new_channel_weight,
    )


def _new_device(data: FraudInput, t: FraudThresholds) -> FraudReason | None:
    if data.device_id is not None and data.device_id in data.known_devices:
        return None
    message = (
        "First redemption from this device."
        if data.device_id is not None
        else "No device id: the device is unknown."
    )
    return FraudReason(code=FraudSignal.NEW_DEVICE, message=message, weight=t.new_device_weight)


def _new_account(data: FraudInput, t: FraudThresholds) -> FraudReason | None:
    if data.account_age_days > t.new_account_max_age_days:
        return None
    return FraudReason(
        code=FraudSignal.NEW_ACCOUNT,
        message=f"Account is {data.account_age_days} days old "
        f"(trigger {t.new_account_max_age_days} days or less).",
        weight=t.new_account_weight,
    )


def _balance_share(data: FraudInput, t: FraudThresholds) -> FraudReason | None:
    if not _at_least_percent(data.points, data.available_balance, t.balance_share_percent):
        return None
    return FraudReason(
        code=FraudSignal.BALANCE_SHARE,
        message=f"{data.points} points is at least {t.balance_share_percent}% of the "
        f"available balance ({data.available_balance}).",
        weight=t.balance_share_weight,
    )


_Check = Callable[[FraudInput, FraudThresholds], FraudReason | None]

# Order here is the order reasons are reported in; keep it stable for callers.
_CHECKS: tuple[_Check, ...] = (
    _velocity_hour,
    _velocity_day,
    _value_vs_average,
    _value_vs_max,
    _new_channel,
    _new_device,
    _new_account,
    _balance_share,
)

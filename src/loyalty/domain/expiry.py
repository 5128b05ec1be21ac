"""POL-EXPIRY-001's numbers and the checks on an extension or a reinstatement: pure rules.

Notices go out ``notice_days_before`` each expiry; a support agent may push an
expiry back at most ``extension_max_days[tier]`` days, at most
``extension_max_per_12m`` times in any 12 months; points that expired in the
last ``reinstatement_window_days`` may be reinstated once, at most
``reinstatement_max_points[tier]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpiryRules:
    notice_days_before: tuple[int, ...]
    extension_max_days: Mapping[Tier, int]
    extension_max_per_12m: int
    reinstatement_window_days: int
    reinstatement_max_points: Mapping[Tier, int]


def extension_refusal(
    rules: ExpiryRules, *, tier: Tier, days: int, extensions_last_12m: int
) -> str | None:
    """Why an extension of ``days`` may not be granted, or None when it may."""
    longest = rules.extension_max_days[tier]
    if days > longest:
        return f"a {tier.value} member's expiry may be pushed back at most {longest} days"
    if extensions_last_12m >= rules.extension_max_per_12m:
        times = rules.extension_max_per_12m
        return f"an expiry may be pushed back at most {times} time(s) in any 12 months"
    return None


def notice_in_time(*, expires_at: dt.datetime, sent_at: dt.datetime, days: int) -> bool:
    """Whether a notice of ``days`` lead time sent at ``sent_at`` gave the member that lead.

    Counted in whole days, rounded up, as the daily run sends it: on the first
    run within its lead time, so up to a day less than ``days`` exactly.
    """
    return -((sent_at - expires_at) // dt.timedelta(days=1)) >= days


def postponed_until(
    *,
    expires_at: dt.datetime,
    as_of: dt.datetime,
    notice_days_before: tuple[int, ...],
    sent: Mapping[int, dt.datetime],
) -> dt.datetime | None:
    """The new date of an expiry, as the run at ``as_of`` sees it, given when each
    notice went out (``sent``: lead time -> time); None when it keeps its date.

    POL-EXPIRY-001: "Members receive a reminder 60 days and again 14 days before
    an expiry ... An expiry may not run for a member who was not sent both
    notices; the run is postponed until the notices have gone out." The reading
    chosen is the one a member can rely on: a notice counts only if it went out
    its full lead time before the date (a lot credited or extended too close to
    its date got its notices late, if at all).

    An expiry is owed a notice once that notice missed its day: it was not sent
    in time and sending it at ``as_of`` would be late too. That is known before
    the date, so the date moves then, while the points are still spendable: a
    date that passed first would leave them out of the balance until a run
    moved it. The new date is the later of the old date and ``as_of``, plus the
    longest lead time, so every notice goes out on its day for the new date
    (the longest one at once, if the old date has passed), and the date a
    notice announces is the date the points expire.
    """
    owed = [
        days
        for days in notice_days_before
        if not notice_in_time(expires_at=expires_at, sent_at=as_of, days=days)
        and (
            days not in sent
            or not notice_in_time(expires_at=expires_at, sent_at=sent[days], days=days)
        )
    ]
    if not owed:
        return None
    return max(expires_at, as_of) + dt.timedelta(days=max(notice_days_before))


def per_tier_ints(raw: object, *, name: str) -> dict[Tier, int]:
    """``{bronze: 30, ...}`` from a policy, a non-negative integer for every tier.

    Raises:
        ValidationError: not a mapping, or a tier missing or not a whole number.
    """
    if not isinstance(raw, Mapping):
        raise ValidationError(f"{name} must map tiers to numbers")
    values: dict[Tier, int] = {}
    for tier in Tier:
        value = raw.get(tier.value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(f"{name} for {tier.value} must be a whole number >= 0")
        values[tier] = value
    return values


def notice_days(raw: object) -> tuple[int, ...]:
    """The notice lead times, longest first.

    Raises:
        ValidationError: not a list of positive whole numbers.
    """
    if not isinstance(raw, list) or not raw:
        raise ValidationError("expiry_notice_days_before must be a list of days")
    if any(isinstance(d, bool) or not isinstance(d, int) or d <= 0 for d in raw):
        raise ValidationError("expiry_notice_days_before must hold positive whole numbers")
    return tuple(sorted(set(raw), reverse=True))

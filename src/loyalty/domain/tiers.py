"""The tier ladder and member statuses.

``Tier`` is ordered (bronze < silver < gold < platinum) by an explicit rank,
not by its string value: "gold" < "silver" alphabetically, which is exactly
the bug an ordering by value would introduce. It is a plain ``Enum`` (not a
``StrEnum``) for the same reason: a ``str`` subclass would compare members as
strings wherever our comparison operators are not used.
"""

from __future__ import annotations

from enum import Enum
from functools import total_ordering


@total_ordering
class Tier(Enum):
    """Membership tier; comparisons follow the ladder."""

    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"

    @property
    def rank(self) -> int:
        """Position on the ladder, 0 for bronze; stable across releases."""
        return _RANKS[self]

    def at_least(self, minimum: Tier) -> bool:
        """Return True if this tier is ``minimum`` or higher."""
        return self.rank >= minimum.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Tier):
            return NotImplemented
        return self.rank < other.rank


# Declared once, in ladder order; the enum's definition order is the ladder too,
# but an explicit table makes the ranking visible and independent of refactors.
_RANKS: dict[Tier, int] = {
    Tier.BRONZE: 0,
    Tier.SILVER: 1,
    Tier.GOLD: 2,
    Tier.PLATINUM: 3,
}


def lowest_tier() -> Tier:
    """Return the bottom of the ladder."""
    return min(Tier)


def highest_tier() -> Tier:
    """Return the top of the ladder."""
    return max(Tier)


class MemberStatus(Enum):
    """Lifecycle state of a member account; only ``ACTIVE`` may redeem.

    ``FROZEN`` (POL-SECURITY-001) is a support agent's temporary block: the
    account keeps earning but cannot redeem or receive discretionary credits.
    """

    ACTIVE = "active"
    FROZEN = "frozen"
    SUSPENDED = "suspended"
    CLOSED = "closed"

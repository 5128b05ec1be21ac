"""Reward stock moves with the points: reserved by a hold, back on release, consumed on capture.

Every change runs inside the ledger operation that moves the points, under
the account lock, with the reward row locked after it (always in that order,
so two operations never wait on each other in reverse). ``inventory`` may not
go below zero (a database constraint); a reward with unlimited inventory
(``NULL``) is never locked. Reconciliation proves, per reward:
``inventory = stock_received - units held or captured + units restocked``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.errors import InvalidStateError, NotFoundError, OutOfStockError
from loyalty.ledger.models import Hold, Reward


def take(session: Session, *, reward_id: str, units: int) -> None:
    """Reserve ``units`` of the reward for a hold being made.

    Raises:
        OutOfStockError: fewer than ``units`` are left.
    """
    reward = _lock(session, reward_id)
    if reward.inventory is None:
        return
    if reward.inventory < units:
        raise OutOfStockError(
            f"reward {reward_id} has {reward.inventory} units left, {units} needed",
            reasons=[f"out of stock: {reward.inventory} left of {reward_id}, {units} requested"],
        )
    reward.inventory -= units


def give_back(session: Session, hold: Hold) -> None:
    """Return a released hold's units to stock."""
    _add(session, hold, hold.units)


def restock(session: Session, hold: Hold, *, units: int) -> None:
    """Put ``units`` of a captured hold back in stock (a refund of those units).

    Raises:
        InvalidStateError: more units than the hold has left to restock.
    """
    if units == 0:
        return
    left = hold.units - hold.units_restocked
    if units < 0 or units > left:
        raise InvalidStateError(
            f"cannot restock {units} units of hold {hold.id}: {left} left",
            reasons=[f"only {left} units of this redemption can go back to stock"],
        )
    hold.units_restocked += units
    _add(session, hold, units)


def _add(session: Session, hold: Hold, units: int) -> None:
    if hold.reward_id is None or units == 0:
        return
    reward = _lock(session, hold.reward_id)
    if reward.inventory is not None:
        reward.inventory += units


def _lock(session: Session, reward_id: str) -> Reward:
    reward = session.scalars(select(Reward).where(Reward.id == reward_id).with_for_update()).first()
    if reward is None:
        raise NotFoundError(f"reward {reward_id} not found")
    return reward

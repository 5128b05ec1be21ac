"""Reads the redemption routes share: reference checks and the live-or-stored state."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from loyalty.api.gateway import StateUnanswered, TemporalGateway, redemption_status
from loyalty.contracts.redemption import RedemptionState, RedemptionStatus
from loyalty.errors import NotFoundError, UnavailableError
from loyalty.ledger import catalog, vouchers
from loyalty.ledger.redemptions import get_redemption


async def require_member(sessions: sessionmaker[Session], *, member_id: str) -> None:
    """404 for an unknown member, before anything starts."""

    def check() -> None:
        with sessions() as session:
            catalog.get_member(session, member_id=member_id)

    await run_in_threadpool(check)


async def require_member_and_reward(
    sessions: sessionmaker[Session], *, member_id: str, reward_id: str
) -> None:
    """404 for an unknown member or reward, before anything starts."""

    def check() -> None:
        with sessions() as session:
            catalog.get_member(session, member_id=member_id)
            catalog.get_reward(session, reward_id=reward_id)

    await run_in_threadpool(check)


async def stored_state(
    sessions: sessionmaker[Session], redemption_id: str
) -> RedemptionState | None:
    """The outcome the saga mirrored into PostgreSQL, if any."""

    def read() -> RedemptionState | None:
        with sessions() as session:
            try:
                row = get_redemption(session, redemption_id=redemption_id)
            except NotFoundError:
                return None
            return RedemptionState.model_validate(row.outcome) if row.outcome else None

    return await run_in_threadpool(read)


async def stored_status(
    sessions: sessionmaker[Session], redemption_id: str
) -> RedemptionStatus | None:
    state = await stored_state(sessions, redemption_id)
    return state.status if state else None


async def voucher_code(sessions: sessionmaker[Session], state: RedemptionState) -> str | None:
    """The code of the redemption's voucher, or None; runs from before issue 10 carry it."""
    if state.voucher_id is None:
        return None

    def read() -> str | None:
        with sessions() as session:
            return vouchers.code_for(
                session, redemption_id=state.redemption_id, voucher_id=state.voucher_id or ""
            )

    return await run_in_threadpool(read) or state.voucher_code


@dataclass(frozen=True)
class Loaded:
    """One redemption as the API shows it.

    ``live``: the state is the running workflow's own answer. ``unanswered``: the
    workflow runs but no worker answered its query, so the state is the stored one
    (or the run's input) with the status from the run's search attributes.
    """

    state: RedemptionState
    live: bool
    unanswered: bool = False


async def load_redemption(
    gateway: TemporalGateway, sessions: sessionmaker[Session], redemption_id: str
) -> Loaded:
    """Live state while the workflow runs, else the stored outcome, else the workflow result.

    While it runs without a worker to answer its query: see ``_unanswered``.

    Raises:
        NotFoundError: neither Temporal nor PostgreSQL knows the redemption.
    """
    try:
        live = await gateway.live_state(redemption_id)
    except StateUnanswered as unanswered:
        return await _unanswered(gateway, sessions, redemption_id, unanswered)
    if live is not None:
        return Loaded(live, live=True)
    stored = await stored_state(sessions, redemption_id)
    if stored is not None and stored.status.is_final:
        return Loaded(stored, live=False)
    final = await gateway.final_state(redemption_id)
    if final is not None:
        return Loaded(final, live=False)
    if stored is not None:
        return Loaded(stored, live=False)
    raise NotFoundError(f"redemption {redemption_id} not found")


async def _unanswered(
    gateway: TemporalGateway,
    sessions: sessionmaker[Session],
    redemption_id: str,
    visible: StateUnanswered,
) -> Loaded:
    """A running redemption nobody can query: what the saga mirrored, else the run's input.

    The status and price are the run's search attributes (kept by the server, newer than
    the mirror) while they say it is under way. A final status there is not shown: the run
    has not closed, and the mirror may not hold its outcome (voucher, steps) yet, so a
    client must not take it for the end; the mirror's own status stays until the run's
    result exists (or the mirror's final record, which is whole).

    Raises:
        UnavailableError: neither is readable (the run has no history to read).
    """
    stored = await stored_state(sessions, redemption_id)
    if stored is None:
        request = await gateway.started_request(redemption_id)
        if request is None:
            raise UnavailableError(f"state of {redemption_id} not readable")
        stored = RedemptionState(
            redemption_id=redemption_id,
            **request.model_dump(
                include={
                    "request_id",
                    "member_id",
                    "reward_id",
                    "quantity",
                    "channel",
                    "device_id",
                    "requested_by",
                }
            ),
        )
    status = redemption_status(visible.status)
    if not stored.status.is_final and not status.is_final:
        points = stored.points if visible.points is None else visible.points
        stored = stored.model_copy(update={"status": status, "points": points})
    return Loaded(stored, live=False, unanswered=True)

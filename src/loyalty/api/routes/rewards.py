"""The active reward catalog, for any authenticated caller."""

from __future__ import annotations

from loyalty.api import views
from loyalty.api.access import allow
from loyalty.api.auth import PEOPLE
from loyalty.api.deps import PrincipalDep, SessionDep
from loyalty.api.paging import KeysetCursor, Limit, window
from loyalty.api.routes import AUTHENTICATED, errors, gated_router
from loyalty.api.schemas import RewardsPublic
from loyalty.ledger.catalog import list_active_rewards

router = gated_router(prefix="/v1/rewards", tags=["rewards"], responses=errors(*AUTHENTICATED))


@router.get(
    "",
    operation_id="rewards.list",
    response_model=RewardsPublic,
    summary="List the active catalog",
    openapi_extra=allow(*PEOPLE),
)
def list_rewards(
    principal: PrincipalDep, session: SessionDep, cursor: KeysetCursor = None, limit: Limit = 100
) -> RewardsPublic:
    data, next_cursor = window(list_active_rewards(session), cursor, limit, key=lambda r: (r.id,))
    return RewardsPublic(data=[views.reward(row) for row in data], next_cursor=next_cursor)

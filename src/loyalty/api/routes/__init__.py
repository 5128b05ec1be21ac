"""One router per area; ``ERRORS`` documents the shared error responses in OpenAPI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from loyalty.api.access import GatedRoute
from loyalty.api.schemas import ErrorResponse

_DESCRIPTIONS = {
    401: "Missing, expired or invalid bearer token.",
    403: "The token's role or member may not do this.",
    404: "Unknown member, reward, redemption or subscription.",
    409: "Conflicts with the current state or an earlier request with the same id.",
    413: "Request body too large.",
    422: "Invalid input; `details` names each field.",
    429: "Rate limit exceeded; see Retry-After.",
    503: "A dependency (Temporal or PostgreSQL) is unavailable.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error status codes, all in the one error shape."""
    chosen = codes or tuple(_DESCRIPTIONS)
    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS[code]} for code in chosen}


AUTHENTICATED = (401, 403, 422, 429, 503)


def gated_router(**options: Any) -> APIRouter:
    """A router whose every route authorizes before reading its input (see ``api.access``)."""
    return APIRouter(route_class=GatedRoute, **options)

"""A PostgreSQL connection lost under a request is a 503 to retry, never a 500.

Found by ``make faults``: while the app's backends were being terminated, one
GET and one POST of /v1/redemptions answered 500 (the connection died between
the pool's pre-ping and the query).
"""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import OperationalError
from starlette.requests import Request

from loyalty.api.errors import handle_error


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/v1/redemptions/x", "headers": []})


async def test_a_terminated_backend_answers_503_unavailable() -> None:
    lost = psycopg.OperationalError("terminating connection due to administrator command")
    error = OperationalError("SELECT 1", {}, lost, connection_invalidated=True)

    response = await handle_error(_request(), error)

    assert response.status_code == 503
    assert b'"unavailable"' in response.body

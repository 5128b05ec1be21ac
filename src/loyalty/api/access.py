"""Who may call each route, decided before FastAPI reads a byte of the body.

Every route declares its access in its decorator: ``openapi_extra=allow(...)``
(roles), ``APPROVERS`` (the roles POL-APPROVAL-001 names, read when the
request arrives) or ``PUBLIC``. The declaration lands in the OpenAPI document
(``x-roles``; public routes have ``security: []``), so the docs say who may
call what. :class:`GatedRoute` authenticates the bearer token, counts it
against the rate limit and checks the role first: a caller without the role
gets 401/403 and never a 422 that describes the schema. A route that forgot to
declare its access refuses to be built, so access fails closed.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from loyalty.api.auth import Principal, Role
from loyalty.api.deps import ApiState
from loyalty.api.errors import FieldError, NotAuthenticatedError, PermissionDeniedError

ROLES_KEY = "x-roles"
POLICY_KEY = "x-roles-from-policy"
PUBLIC: dict[str, Any] = {"security": []}
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def allow(*roles: Role) -> dict[str, Any]:
    """The ``openapi_extra`` of a route callable by ``roles`` only."""
    return {ROLES_KEY: [role.value for role in roles]}


def approvers(*documented: Role) -> dict[str, Any]:
    """A route for the approvers POL-APPROVAL-001 names (``documented``: what it names today)."""
    return {**allow(*documented), POLICY_KEY: "POL-APPROVAL-001"}


class GatedRoute(APIRoute):
    """An APIRoute that authorizes before FastAPI parses or validates anything."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        extra = self.openapi_extra or {}
        if extra == PUBLIC:
            return handler
        if ROLES_KEY not in extra:
            raise RuntimeError(f"route {self.path} declares no access (allow(...) or PUBLIC)")
        static = frozenset(Role(value) for value in extra[ROLES_KEY])
        from_policy = POLICY_KEY in extra
        known_query = _query_names(self.dependant)

        async def gated(request: Request) -> Response:
            state: ApiState = request.app.state.api
            allowed = await run_in_threadpool(_approver_roles, state) if from_policy else static
            request.state.principal = await authorize(request, state, allowed)
            # A misspelt parameter (`curser=`) would silently answer page one: refuse it.
            for name in request.query_params:
                if name not in known_query:
                    raise FieldError(name, "unknown query parameter")
            return await handler(request)

        return gated


async def authorize(request: Request, state: ApiState, allowed: frozenset[Role]) -> Principal:
    """Authenticate the bearer token, count it, and require one of ``allowed`` roles."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticatedError("missing bearer token")
    principal = await run_in_threadpool(state.verifier.verify, token.strip())
    state.limiter.hit(token.strip())
    if principal.role not in allowed:
        names = ", ".join(sorted(role.value for role in allowed))
        raise PermissionDeniedError(f"role {principal.role.value} cannot do this (needs {names})")
    return principal


def _query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameters a route declares, its dependencies' included."""
    names = {field.alias for field in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return frozenset(names)


def _approver_roles(state: ApiState) -> frozenset[Role]:
    named = state.policies.approval_rules().approver_roles
    return frozenset(role for role in Role if role.value in named)

"""Bearer JWTs (HS256, via PyJWT): who is calling and what they may touch.

Claims: ``sub`` (the actor id, written to the audit log and passed to
workflows), ``role`` (customer | support_agent | operator), ``member_id``
(required for customers: the one member the token is bound to), ``iss``,
``aud``, ``exp`` (required), ``iat`` and a random ``jti`` (so each minted
token is distinct, which is what the rate limiter keys on).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt

from loyalty.api.errors import NotAuthenticatedError, PermissionDeniedError
from loyalty.config import Settings

ALGORITHM = "HS256"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")


class Role(StrEnum):
    CUSTOMER = "customer"
    SUPPORT_AGENT = "support_agent"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    role: Role
    member_id: str | None
    token_id: str

    def require(self, *roles: Role) -> None:
        """Raise 403 unless the caller has one of ``roles``."""
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise PermissionDeniedError(f"role {self.role.value} cannot do this (needs {allowed})")

    def require_member(self, member_id: str) -> None:
        """Raise 403 when a customer reaches for a member other than its own."""
        if self.role == Role.CUSTOMER and self.member_id != member_id:
            raise PermissionDeniedError("this token may only act on its own member")


def mint_token(
    settings: Settings,
    *,
    role: Role,
    subject: str | None = None,
    member_id: str | None = None,
    ttl: dt.timedelta = dt.timedelta(hours=1),
) -> str:
    """A signed token; customers must name their member (it is also their default subject)."""
    if role == Role.CUSTOMER and not member_id:
        raise ValueError("a customer token must be bound to a member id")
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": subject or member_id or f"{role.value}-dev",
        "role": role.value,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl,
        "jti": secrets.token_hex(8),
    }
    if member_id:
        claims["member_id"] = member_id
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def authenticate(settings: Settings, token: str) -> Principal:
    """Verify signature, issuer, audience and expiry; 401 on anything wrong."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise NotAuthenticatedError(f"invalid token: {error}") from None
    return _principal(claims)


def _principal(claims: dict[str, Any]) -> Principal:
    subject, member_id = claims.get("sub"), claims.get("member_id")
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        raise NotAuthenticatedError("invalid token: unknown role") from None
    if not isinstance(subject, str) or not _ID.match(subject):
        raise NotAuthenticatedError("invalid token: bad subject")
    if member_id is not None and (not isinstance(member_id, str) or not _ID.match(member_id)):
        raise NotAuthenticatedError("invalid token: bad member_id")
    if role == Role.CUSTOMER and member_id is None:
        raise NotAuthenticatedError("invalid token: a customer token needs member_id")
    return Principal(
        subject=subject, role=role, member_id=member_id, token_id=str(claims.get("jti", ""))
    )

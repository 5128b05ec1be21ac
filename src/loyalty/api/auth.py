"""Bearer JWTs (PyJWT): who is calling and what they may touch.

Claims: ``sub`` (the actor id, written to the audit log and passed to
workflows; for an integration, the shop or point of sale that scopes its order
ids), ``role`` (customer | support_agent | support_lead | operator | integration),
``member_id`` (required for customers: the one member the token is bound to),
``client`` (customers: the app that holds the token, e.g. ``app`` or ``web``;
it becomes the redemption's channel), ``iss``, ``aud``, ``exp`` (required),
``iat`` and a random ``jti`` (so each minted token is distinct, which is what
the rate limiter keys on).

Production tokens come from an identity provider: RS256 or ES256, verified
with the keys of ``LOYALTY_JWT_JWKS_URL`` or ``LOYALTY_JWT_PUBLIC_KEY_FILE``.
HS256 with ``LOYALTY_JWT_SECRET`` serves development, where ``mint_token``
issues tokens; it refuses to in production, and whenever keys verify tokens.
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
from loyalty.errors import UnavailableError

SHARED_SECRET_ALGORITHM = "HS256"
KEY_ALGORITHMS = ("RS256", "ES256")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
_CLIENT = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
UNKNOWN_CLIENT = "unknown"
STAFF_CHANNEL = "support"


class Role(StrEnum):
    CUSTOMER = "customer"
    SUPPORT_AGENT = "support_agent"
    SUPPORT_LEAD = "support_lead"
    OPERATOR = "operator"
    # A point of sale or an online shop: reports purchases and returns, nothing else.
    INTEGRATION = "integration"


STAFF = (Role.SUPPORT_AGENT, Role.SUPPORT_LEAD)
# The people: members and staff. Integrations are machines with one job (accruals).
PEOPLE = (Role.CUSTOMER, *STAFF, Role.OPERATOR)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    role: Role
    member_id: str | None
    token_id: str
    client: str = UNKNOWN_CLIENT

    def require_member(self, member_id: str) -> None:
        """Raise 403 when a customer reaches for a member other than its own."""
        if self.role == Role.CUSTOMER and self.member_id != member_id:
            raise PermissionDeniedError("this token may only act on its own member")

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def channel(self) -> str:
        """The channel of what this caller starts: a customer's client type, or ``support``.

        Taken from the verified token, never from a request body, because the
        fraud rules weigh it.
        """
        return self.client if self.is_customer else STAFF_CHANNEL


def mint_token(
    settings: Settings,
    *,
    role: Role,
    subject: str | None = None,
    member_id: str | None = None,
    client: str = "app",
    ttl: dt.timedelta = dt.timedelta(hours=1),
) -> str:
    """A development token; customers must name their member (it is also their default subject).

    Raises:
        ValueError: in production or when an identity provider issues the tokens.
    """
    if settings.environment == "production" or settings.verifies_with_keys:
        raise ValueError("tokens come from the identity provider here; minting is for development")
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
        "client": client,
    }
    if member_id:
        claims["member_id"] = member_id
    secret = settings.jwt_secret.get_secret_value()
    return jwt.encode(claims, secret, algorithm=SHARED_SECRET_ALGORITHM)


class TokenVerifier:
    """Verifies tokens with what the settings name: JWKS keys, a PEM key, or the shared secret.

    Built once per app; the JWKS client caches keys and refetches on an unknown
    ``kid``, so a key rotation at the identity provider needs no restart.
    Verification may fetch keys over the network: call it off the event loop.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._pem: str | None = None
        if settings.jwt_public_key_file is not None:
            self._pem = settings.jwt_public_key_file.read_text()

    def verify(self, token: str) -> Principal:
        """Verify signature, algorithm, issuer, audience and expiry; 401 on anything wrong."""
        settings = self._settings
        try:
            key, algorithms = self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=settings.jwt_audience,
                issuer=settings.jwt_issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError as error:
            raise UnavailableError(f"cannot fetch the token signing keys: {error}") from None
        except jwt.PyJWTError as error:
            raise NotAuthenticatedError(f"invalid token: {error}") from None
        return _principal(claims)

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key, list(KEY_ALGORITHMS)
        if self._pem is not None:
            return self._pem, list(KEY_ALGORITHMS)
        return self._settings.jwt_secret.get_secret_value(), [SHARED_SECRET_ALGORITHM]


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
    client = claims.get("client")
    return Principal(
        subject=subject,
        role=role,
        member_id=member_id,
        token_id=str(claims.get("jti", "")),
        client=client if isinstance(client, str) and _CLIENT.match(client) else UNKNOWN_CLIENT,
    )

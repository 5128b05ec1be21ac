"""Every route authorizes before it reads the body: a wrong role is 403, never a 422 schema lesson.

The test walks the app's own OpenAPI document, so a new route is covered the
day it is added (and fails here until ``ACCESS`` says who may call it). Each
call that must be refused is sent with a valid body, a body that breaks the
schema, and bytes that are not JSON at all; none of them may reach validation.
No request gets past the gate, so no worker or database is involved.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from loyalty.api import create_app
from loyalty.api.auth import Role, mint_token
from loyalty.config import Settings
from tests.support import temporal as support

CUSTOMER, AGENT, LEAD, OPERATOR, INTEGRATION = (
    Role.CUSTOMER,
    Role.SUPPORT_AGENT,
    Role.SUPPORT_LEAD,
    Role.OPERATOR,
    Role.INTEGRATION,
)
STAFF = {AGENT, LEAD}
EVERYONE = {CUSTOMER, AGENT, LEAD, OPERATOR}  # the people; integrations only report purchases
ALL_ROLES = set(Role)
PUBLIC: set[Role] | None = None

# Who may call what: the README's table, stated independently of the code.
ACCESS: dict[tuple[str, str], set[Role] | None] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/v1/redemptions"): {CUSTOMER, *STAFF},
    ("GET", "/v1/redemptions"): {*STAFF, OPERATOR},
    ("POST", "/v1/redemptions/validate"): {CUSTOMER, *STAFF},
    ("GET", "/v1/redemptions/{redemption_id}"): EVERYONE,
    ("POST", "/v1/redemptions/{redemption_id}/cancel"): {CUSTOMER, *STAFF},
    ("POST", "/v1/redemptions/{redemption_id}/approve"): STAFF,
    ("POST", "/v1/redemptions/{redemption_id}/reject"): STAFF,
    ("POST", "/v1/redemptions/{redemption_id}/refund"): {*STAFF, OPERATOR},
    ("POST", "/v1/refunds/{refund_id}/approve"): {OPERATOR},
    ("POST", "/v1/refunds/{refund_id}/reject"): {OPERATOR},
    ("GET", "/v1/members/{member_id}/balance"): EVERYONE,
    ("GET", "/v1/members/{member_id}/ledger"): EVERYONE,
    ("GET", "/v1/members/{member_id}/expiring"): EVERYONE,
    ("POST", "/v1/members/{member_id}/expiring/extend"): STAFF,
    ("POST", "/v1/members/{member_id}/expiring/reinstate"): STAFF,
    ("GET", "/v1/members/{member_id}/ledger/export"): {OPERATOR},
    ("GET", "/v1/ledger/export"): {OPERATOR},
    ("POST", "/v1/members/{member_id}/accruals"): {INTEGRATION},
    ("GET", "/v1/members/{member_id}/accruals/{order_id}"): {INTEGRATION},
    ("POST", "/v1/members/{member_id}/accruals/{order_id}/reverse"): {INTEGRATION},
    ("GET", "/v1/members/{member_id}/rewards"): EVERYONE,
    ("POST", "/v1/members"): {*STAFF, OPERATOR},
    ("GET", "/v1/members/{member_id}"): EVERYONE,
    ("PATCH", "/v1/members/{member_id}"): {*STAFF, OPERATOR},
    ("POST", "/v1/members/{member_id}/freeze"): {*STAFF, OPERATOR},
    ("POST", "/v1/members/{member_id}/unfreeze"): {*STAFF, OPERATOR},
    ("POST", "/v1/members/{member_id}/tier-review"): {OPERATOR},
    ("GET", "/v1/rewards"): EVERYONE,
    ("GET", "/v1/policies"): EVERYONE,
    ("POST", "/v1/policies/ingest"): {OPERATOR},
    ("POST", "/v1/assisted-redemptions"): STAFF,
    ("GET", "/v1/assisted-redemptions/{case_id}"): {*STAFF, OPERATOR},
    # POL-APPROVAL-001: "Approvers are support team leads or loyalty operations staff."
    ("POST", "/v1/assisted-redemptions/{case_id}/approve"): {LEAD, OPERATOR},
    ("POST", "/v1/assisted-redemptions/{case_id}/reject"): {LEAD, OPERATOR},
    ("POST", "/v1/assisted-redemptions/{case_id}/edit"): {LEAD, OPERATOR},
    ("POST", "/v1/reward-proposals"): {*STAFF, OPERATOR},
    ("POST", "/v1/redemptions/{redemption_id}/retry-compensations"): {OPERATOR},
    ("POST", "/v1/redemptions/{redemption_id}/resolve"): {OPERATOR},
    ("GET", "/v1/queues/fraud-reviews"): {*STAFF, OPERATOR},
    ("GET", "/v1/queues/capped-purchases"): {*STAFF, OPERATOR},
    ("GET", "/v1/queues/assisted-approvals"): {*STAFF, OPERATOR},
    ("GET", "/v1/queues/needs-attention"): {OPERATOR},
    ("GET", "/v1/audit-log"): {OPERATOR},
    ("GET", "/v1/decision-log"): {OPERATOR},
    ("POST", "/v1/promotions"): {OPERATOR},
    ("GET", "/v1/promotions"): {OPERATOR},
    ("GET", "/v1/promotions/{promotion_id}"): {OPERATOR},
    ("POST", "/v1/promotions/{promotion_id}/schedule"): {OPERATOR},
    ("POST", "/v1/promotions/{promotion_id}/end"): {OPERATOR},
    ("POST", "/v1/webhooks"): {OPERATOR},
    ("GET", "/v1/webhooks"): {OPERATOR},
    ("DELETE", "/v1/webhooks/{subscription_id}"): {OPERATOR},
    ("POST", "/v1/webhooks/{subscription_id}/rotate-secret"): {OPERATOR},
}

PATH_VALUES = {
    "redemption_id": "redemption-member~M0001~order-1",
    "member_id": "M0001",
    "promotion_id": "P-1",
    "case_id": "assisted-ticket-1",
    "subscription_id": "wh_0123456789abcdef",
    "refund_id": "refund-system~redemption-member~M0001~order-1~refund-1",
    "order_id": "order-1",
}
# A body each request schema accepts, keyed by the schema's name.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "RedemptionCreate": {"request_id": "order-1", "member_id": "M0001", "reward_id": "R-COFFEE"},
    "RedemptionCheckBody": {"member_id": "M0001", "reward_id": "R-COFFEE"},
    "CancelBody": {"reason": "changed my mind"},
    "ReviewBody": {"reason": "checked the account"},
    "OperatorBody": {"reason": "fixed the partner"},
    "MemberCreate": {"member_id": "M0001", "region": "US"},
    "MemberUpdate": {"region": "US", "reason": "moved"},
    "StatusChange": {"reason": "reported takeover"},
    "RefundCreate": {"request_id": "refund-1", "reason": "partner outage"},
    "CaseCreate": {"request_id": "ticket-1", "member_id": "M0001", "reason": "late delivery"},
    "CaseDecisionBody": {"reason": "within policy"},
    "CaseEditBody": {"reason": "within policy", "points": 100},
    "WebhookCreate": {"url": "https://hooks.example.com/loyalty"},
    "PromotionCreate": {
        "promotion_id": "P-1",
        "campaign": "spring",
        "name": "Spring",
        "kind": "redeem_discount_percent",
        "value": 10,
        "starts_at": "2026-01-01T00:00:00Z",
    },
    "PromotionSchedule": {"starts_at": "2026-01-01T00:00:00Z"},
    "ExtensionCreate": {
        "request_id": "ext-1",
        "expires_on": "2027-01-01",
        "days": 10,
        "reason": "travel",
    },
    "ReinstatementCreate": {"request_id": "rein-1", "reason": "member was abroad"},
    "AccrualCreate": {"order_id": "order-1", "amount": "12.50", "currency": "USD"},
    "AccrualReturnCreate": {"return_id": "return-1"},
}
INVALID_BODIES: list[tuple[str, bytes]] = [
    ("schema-invalid", b'{"unexpected": ["field"], "quantity": "many"}'),
    ("not-json", b"{not json"),
]


@pytest.fixture(scope="module")
def settings() -> Settings:
    # Nothing gets past the gate, so neither the database nor Temporal is contacted.
    return support.test_settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        partner_url="http://127.0.0.1:9",
    )


@dataclass
class App:
    http: httpx.AsyncClient
    openapi: dict[str, Any]

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (method.upper(), path, operation)
            for path, item in self.openapi["paths"].items()
            for method, operation in item.items()
        ]


@pytest.fixture(scope="module")
async def app(settings: Settings) -> AsyncIterator[App]:
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield App(http=http, openapi=application.openapi())


def _body_schema(operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)


def _token(settings: Settings, role: Role) -> dict[str, str]:
    member = "M0001" if role is CUSTOMER else None
    return {"Authorization": f"Bearer {mint_token(settings, role=role, member_id=member)}"}


def _attempts(operation: dict[str, Any]) -> list[tuple[str, bytes | None]]:
    schema = _body_schema(operation)
    if schema is None:
        return [("no body", None), ("bad query", None)]
    return [("valid", json.dumps(VALID_BODIES[schema]).encode()), *INVALID_BODIES]


def test_every_route_is_in_the_access_table(app: App) -> None:
    found = {(method, path) for method, path, _ in app.operations()}

    assert found == set(ACCESS)


async def test_callers_without_the_role_are_refused_before_validation(
    app: App, settings: Settings
) -> None:
    wrong: list[str] = []
    for method, path, operation in app.operations():
        allowed = ACCESS[(method, path)]
        if allowed is PUBLIC:
            continue
        callers: list[tuple[str, dict[str, str], int]] = [
            ("anonymous", {}, 401),
            ("forged", {"Authorization": "Bearer not-a-token"}, 401),
            *[(r.value, _token(settings, r), 403) for r in ALL_ROLES - allowed],
        ]
        for who, headers, expected in callers:
            for kind, content in _attempts(operation):
                query = {"limit": "many"} if kind == "bad query" else None
                response = await app.http.request(
                    method,
                    _url(path),
                    content=content,
                    params=query,
                    headers={**headers, "Content-Type": "application/json"},
                )
                if response.status_code != expected:
                    wrong.append(f"{who} {method} {path} [{kind}]: {response.status_code}")

    assert not wrong, "\n".join(wrong)


def test_openapi_states_who_may_call_each_route(app: App) -> None:
    for method, path, operation in app.operations():
        allowed = ACCESS[(method, path)]
        declared = operation.get("x-roles")
        if allowed is PUBLIC:
            assert operation.get("security") == [], (method, path)
        else:
            assert set(declared or ()) == {r.value for r in allowed}, (method, path)

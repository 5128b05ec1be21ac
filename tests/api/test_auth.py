"""Authentication, authorization, rate limits and the shared error shape."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from loyalty.api.auth import Role, mint_token
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiFactory, ApiHarness


def _forged(api: ApiHarness, **claims: object) -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    base: dict[str, object] = {
        "sub": "someone",
        "role": "operator",
        "iss": api.settings.jwt_issuer,
        "aud": api.settings.jwt_audience,
        "exp": now + dt.timedelta(minutes=5),
    }
    base.update(claims)
    secret = str(base.pop("secret", api.settings.jwt_secret.get_secret_value()))
    payload = {k: v for k, v in base.items() if v is not None}
    return {"Authorization": f"Bearer {jwt.encode(payload, secret, algorithm='HS256')}"}


@pytest.mark.parametrize(
    "claims",
    [
        {"secret": "another-secret-of-sufficient-length-123456"},
        {"exp": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)},
        {"exp": None},
        {"aud": "someone-else"},
        {"iss": "someone-else"},
        {"role": "admin"},
        {"role": "customer"},  # a customer token must name its member
    ],
)
async def test_bad_tokens_are_401(api: ApiHarness, claims: dict[str, object]) -> None:
    response = await api.http.get("/v1/rewards", headers=_forged(api, **claims))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_missing_or_malformed_authorization_is_401(api: ApiHarness) -> None:
    missing = await api.http.get("/v1/rewards")
    garbage = await api.http.get("/v1/rewards", headers={"Authorization": "Bearer not-a-jwt"})
    basic = await api.http.get("/v1/rewards", headers={"Authorization": "Basic dXNlcjpwdw=="})

    assert [r.status_code for r in (missing, garbage, basic)] == [401, 401, 401]
    assert set(missing.json()["error"]) == {"code", "message", "details"}


async def test_customer_cannot_touch_another_member(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    mine, theirs = new_member(points=5_000), new_member(points=5_000)
    started = await api.redeem(
        {"request_id": unique_id("req"), "member_id": theirs, "reward_id": "R-COFFEE"},
        api.customer(theirs),
    )
    redemption_id = started.json()["redemption_id"]
    me = api.customer(mine)

    attempts = [
        await api.http.get(f"/v1/members/{theirs}/balance", headers=me),
        await api.http.get(f"/v1/members/{theirs}/ledger", headers=me),
        await api.http.get(f"/v1/redemptions/{redemption_id}", headers=me),
        await api.http.post(f"/v1/redemptions/{redemption_id}/cancel", json={}, headers=me),
        await api.redeem(
            {"request_id": unique_id("req"), "member_id": theirs, "reward_id": "R-COFFEE"}, me
        ),
        await api.http.post(
            "/v1/redemptions/validate",
            json={"member_id": theirs, "reward_id": "R-COFFEE"},
            headers=me,
        ),
    ]

    assert [r.status_code for r in attempts] == [403] * 6
    assert {r.json()["error"]["code"] for r in attempts} == {"forbidden"}
    await api.wait_for(redemption_id, FINAL)


async def test_wrong_role_is_403(api: ApiHarness, new_member: MemberFactory) -> None:
    member = new_member(points=5_000)
    operator_redeems = await api.redeem(
        {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"},
        api.operator(),
    )
    support_lists_webhooks = await api.http.get("/v1/webhooks", headers=api.support())

    assert operator_redeems.status_code == 403
    assert support_lists_webhooks.status_code == 403


async def test_rate_limit_is_per_token_with_retry_after(
    api_factory: ApiFactory, new_member: MemberFactory
) -> None:
    api = await api_factory(rate_limit="3/minute")
    member = new_member()
    limited, other = api.customer(member), api.customer(member)

    codes = [(await api.http.get("/v1/rewards", headers=limited)).status_code for _ in range(4)]
    blocked = await api.http.get("/v1/rewards", headers=limited)
    fresh = await api.http.get("/v1/rewards", headers=other)

    assert codes == [200, 200, 200, 429]
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert fresh.status_code == 200


async def test_body_over_the_limit_is_413(
    api_factory: ApiFactory, new_member: MemberFactory
) -> None:
    api = await api_factory(max_body_bytes=512)
    member = new_member()
    big = {"request_id": "x", "member_id": member, "reward_id": "R-COFFEE", "pad": "x" * 2_000}

    declared = await api.redeem(big, api.customer(member))

    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"member_id": "' + b"x" * 400
        yield b"x" * 400 + b'"}'

    streamed = await api.http.post(
        "/v1/redemptions/validate",
        content=chunks(),
        headers={**api.customer(member), "Content-Type": "application/json"},
    )

    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"
    assert streamed.status_code == 413
    assert "X-Request-ID" in streamed.headers


async def test_unknown_route_and_method_use_the_error_shape(api: ApiHarness) -> None:
    missing = await api.http.get("/v1/nothing-here")
    wrong = await api.http.delete("/v1/rewards", headers=api.support())

    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_mint_token_requires_a_member_for_customers(api: ApiHarness) -> None:
    with pytest.raises(ValueError, match="member"):
        mint_token(api.settings, role=Role.CUSTOMER)

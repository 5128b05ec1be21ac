"""POST /v1/redemptions?wait=S: the terminal state when the saga ends within S, else 202."""

from __future__ import annotations

from loyalty.contracts.redemption import FULFILL_REWARD
from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness


def body(member: str) -> dict[str, object]:
    return {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-GIFT-10"}


async def test_wait_answers_the_terminal_state_when_the_saga_ends_in_time(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = new_member(points=5_000)

    response = await api.http.post(
        "/v1/redemptions", params={"wait": 60}, json=body(member), headers=api.customer(member)
    )

    assert response.status_code == 200, response.text
    done = response.json()
    assert (done["status"], done["live"]) == ("completed", False)
    assert done["voucher_code"]  # the member's own token sees the code, as on GET
    assert ledger.balance(member_id=member).available == 5_000 - done["points"]
    assert response.headers["Location"] == f"/v1/redemptions/{done['redemption_id']}"
    again = await api.http.get(response.headers["Location"], headers=api.customer(member))
    assert again.json() == done


async def test_a_wait_that_runs_out_answers_202_as_without_it(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)
    api.saga.faults.delay(FULFILL_REWARD, 3.0)  # the saga outlasts the wait
    try:
        response = await api.http.post(
            "/v1/redemptions",
            params={"wait": 0.2},
            json=body(member),
            headers=api.customer(member),
        )

        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["status"] == "running"
        done = await api.wait_for(accepted["redemption_id"], FINAL)
        assert done["status"] == "completed"
    finally:
        api.saga.faults.delays.pop(FULFILL_REWARD, None)


async def test_wait_out_of_bounds_is_422_naming_it_and_401_without_a_token(
    api: ApiHarness, new_member: MemberFactory
) -> None:
    member = new_member(points=5_000)

    too_long = await api.http.post(
        "/v1/redemptions", params={"wait": 3_600}, json=body(member), headers=api.customer(member)
    )
    negative = await api.http.post(
        "/v1/redemptions", params={"wait": -1}, json=body(member), headers=api.customer(member)
    )
    anonymous = await api.http.post("/v1/redemptions", params={"wait": 3_600}, json=body(member))

    assert too_long.status_code == 422
    assert too_long.json()["error"]["details"][0]["field"] == "wait"
    assert negative.status_code == 422
    assert anonymous.status_code == 401

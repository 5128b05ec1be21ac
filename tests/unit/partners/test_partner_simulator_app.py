"""The simulator's contract, in-process: idempotency, conflicts, voids and fault controls."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loyalty.partners.simulator import create_app


def _issue_body(key: str = "redemption-1:fulfill", quantity: int = 1) -> dict[str, Any]:
    return {"idempotency_key": key, "reward_id": "r-1", "member_id": "m-1", "quantity": quantity}


@pytest.fixture
def sim() -> Iterator[TestClient]:
    with TestClient(create_app(seed=7)) as client:
        yield client


def _count(sim: TestClient) -> int:
    count: int = sim.get("/vouchers").json()["count"]
    return count


def test_issue_is_idempotent_by_key(sim: TestClient) -> None:
    first = sim.post("/vouchers", json=_issue_body())
    again = sim.post("/vouchers", json=_issue_body())

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["status"] == "issued"
    assert _count(sim) == 1


def test_same_key_with_another_body_conflicts(sim: TestClient) -> None:
    sim.post("/vouchers", json=_issue_body())
    response = sim.post("/vouchers", json=_issue_body(quantity=2))

    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_conflict"


def test_void_of_unknown_key_is_a_no_op_and_blocks_a_late_issue(sim: TestClient) -> None:
    void = sim.post("/vouchers/void", json={"idempotency_key": "never-issued"})
    late_issue = sim.post("/vouchers", json=_issue_body("never-issued"))

    assert void.status_code == 200
    assert void.json()["status"] == "not_found"
    assert late_issue.status_code == 409
    assert late_issue.json()["error"] == "key_voided"
    assert _count(sim) == 0


def test_void_is_idempotent(sim: TestClient) -> None:
    sim.post("/vouchers", json=_issue_body("k"))
    first = sim.post("/vouchers/void", json={"idempotency_key": "k"})
    again = sim.post("/vouchers/void", json={"idempotency_key": "k"})

    assert first.json()["status"] == "voided"
    assert again.json() == first.json()
    assert sim.get("/vouchers/k").json()["status"] == "voided"


def test_get_unknown_voucher_is_404(sim: TestClient) -> None:
    assert sim.get("/vouchers/nope").status_code == 404


def test_malformed_body_is_400_not_a_business_rejection(sim: TestClient) -> None:
    response = sim.post("/vouchers", json={"idempotency_key": "k"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_fail_next_fails_that_many_calls_then_succeeds(sim: TestClient) -> None:
    sim.post("/control", json={"issue": {"fail_next": 2}})

    codes = [sim.post("/vouchers", json=_issue_body()).status_code for _ in range(3)]

    assert codes == [503, 503, 201]
    assert sim.get("/control").json()["issue"]["fail_next"] == 0


def test_fail_permanently_answers_422_with_the_business_code(sim: TestClient) -> None:
    sim.post("/control", json={"issue": {"fail_permanently": True, "rejection_code": "sold_out"}})

    response = sim.post("/vouchers", json=_issue_body())

    assert response.status_code == 422
    assert response.json()["error"] == "sold_out"
    assert _count(sim) == 0


def test_fail_after_commit_commits_then_loses_the_answer(sim: TestClient) -> None:
    sim.post("/control", json={"issue": {"fail_after_commit": True}})

    lost = sim.post("/vouchers", json=_issue_body())
    retry = sim.post("/vouchers", json=_issue_body())

    assert lost.status_code == 503
    assert retry.status_code == 200
    assert _count(sim) == 1


def test_error_rate_is_deterministic_for_a_seed() -> None:
    def run() -> list[int]:
        with TestClient(create_app(seed=42)) as client:
            client.post("/control", json={"issue": {"error_rate": 0.5}})
            return [
                client.post("/vouchers", json=_issue_body(f"k{i}")).status_code for i in range(20)
            ]

    first, second = run(), run()

    assert first == second
    assert {503, 201} <= set(first)


def test_error_rate_one_always_fails(sim: TestClient) -> None:
    sim.post("/control", json={"void": {"error_rate": 1.0}})

    assert sim.post("/vouchers/void", json={"idempotency_key": "k"}).status_code == 503
    assert sim.post("/vouchers", json=_issue_body()).status_code == 201


def test_timeout_mode_hangs_then_answers_504_without_committing(sim: TestClient) -> None:
    sim.post("/control", json={"issue": {"timeout": True, "hang_ms": 200}})

    started = time.monotonic()
    response = sim.post("/vouchers", json=_issue_body())

    assert response.status_code == 504
    assert time.monotonic() - started >= 0.2
    assert _count(sim) == 0


def test_latency_is_added(sim: TestClient) -> None:
    sim.post("/control", json={"issue": {"latency_ms": 150}})

    started = time.monotonic()
    sim.post("/vouchers", json=_issue_body())

    assert time.monotonic() - started >= 0.15


def test_control_merges_and_validates(sim: TestClient) -> None:
    sim.post("/control", json={"issue": {"latency_ms": 5}})
    merged = sim.post("/control", json={"issue": {"fail_next": 1}}).json()
    invalid = sim.post("/control", json={"issue": {"error_rate": 2}})

    assert merged["issue"]["latency_ms"] == 5
    assert merged["issue"]["fail_next"] == 1
    assert invalid.status_code == 400


def test_reset_forgets_vouchers_and_faults(sim: TestClient) -> None:
    sim.post("/vouchers", json=_issue_body())
    sim.post("/control", json={"issue": {"fail_permanently": True}})

    sim.post("/control/reset")

    assert _count(sim) == 0
    assert sim.post("/vouchers", json=_issue_body()).status_code == 201


def issue_three(sim: TestClient, key: str = "redemption-p:fulfill_reward") -> None:
    body = {"idempotency_key": key, "reward_id": "R-GIFT-10", "member_id": "M1", "quantity": 3}
    assert sim.post("/vouchers", json=body).status_code == 201


def test_a_partial_void_voids_those_units_once_per_request_key(sim: TestClient) -> None:
    issue_three(sim)
    ask = {"idempotency_key": "redemption-p:fulfill_reward", "units": 1, "request_key": "refund-1"}

    first = sim.post("/vouchers/void", json=ask).json()
    again = sim.post("/vouchers/void", json=ask).json()
    voucher = sim.get("/vouchers/redemption-p:fulfill_reward").json()

    assert (first["status"], first["units_voided"]) == ("partially_voided", 1)
    assert again == first
    assert (voucher["status"], voucher["units_voided"], voucher["units_used"]) == ("issued", 1, 0)


def test_used_units_cannot_be_voided(sim: TestClient) -> None:
    issue_three(sim)
    used = sim.post(
        "/control/vouchers/use", json={"idempotency_key": "redemption-p:fulfill_reward", "units": 2}
    )
    too_many = sim.post(
        "/vouchers/void",
        json={"idempotency_key": "redemption-p:fulfill_reward", "units": 2, "request_key": "r"},
    )
    whole = sim.post("/vouchers/void", json={"idempotency_key": "redemption-p:fulfill_reward"})
    last = sim.post(
        "/vouchers/void",
        json={"idempotency_key": "redemption-p:fulfill_reward", "units": 1, "request_key": "r2"},
    )

    assert used.json()["units_used"] == 2
    assert (too_many.status_code, too_many.json()["error"]) == (422, "voucher_used")
    assert (whole.status_code, whole.json()["error"]) == (422, "voucher_used")
    assert last.json()["status"] == "partially_voided"
    voucher = sim.get("/vouchers/redemption-p:fulfill_reward").json()
    assert (voucher["status"], voucher["units_used"], voucher["units_voided"]) == ("used", 2, 1)


def test_voiding_every_live_unit_voids_the_voucher(sim: TestClient) -> None:
    issue_three(sim)
    sim.post(
        "/vouchers/void",
        json={"idempotency_key": "redemption-p:fulfill_reward", "units": 1, "request_key": "a"},
    )
    rest = sim.post("/vouchers/void", json={"idempotency_key": "redemption-p:fulfill_reward"})

    assert (rest.json()["status"], rest.json()["units_voided"]) == ("voided", 2)

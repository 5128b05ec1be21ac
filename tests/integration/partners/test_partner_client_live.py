"""PartnerClient against the simulator in its own process, over real sockets."""

from __future__ import annotations

import time
import uuid

import pytest

from loyalty.partners import (
    BreakerPolicy,
    IssueVoucherRequest,
    PartnerCircuitOpenError,
    PartnerClient,
    PartnerRejectedError,
    PartnerTimeouts,
    PartnerUnavailableError,
    RetryPolicy,
)
from tests.support.partner_simulator import PartnerSimulator

_READ_TIMEOUT_S = 0.3
_RECOVERY_S = 0.5


def _client(sim: PartnerSimulator, *, attempts: int = 4, threshold: int = 5) -> PartnerClient:
    return PartnerClient(
        base_url=sim.url,
        timeouts=PartnerTimeouts(connect=1.0, read=_READ_TIMEOUT_S),
        retry=RetryPolicy(
            attempts=attempts, total_timeout=5, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01
        ),
        breaker=BreakerPolicy(failure_threshold=threshold, recovery_timeout=_RECOVERY_S),
    )


def _request() -> IssueVoucherRequest:
    key = f"redemption-{uuid.uuid4()}:fulfill_reward"
    return IssueVoucherRequest(
        idempotency_key=key, reward_id="gift-card-10", member_id="m-1", quantity=1
    )


def test_issue_then_void(partner_simulator: PartnerSimulator) -> None:
    request = _request()
    with _client(partner_simulator) as client:
        voucher = client.issue_voucher(request)
        voided = client.void_voucher(request.idempotency_key)

    assert voucher.status == "issued"
    assert voided.status == "voided"
    assert voided.voucher_id == voucher.voucher_id


def test_void_before_issue_is_a_no_op(partner_simulator: PartnerSimulator) -> None:
    with _client(partner_simulator) as client:
        result = client.void_voucher("redemption-x:fulfill_reward")

    assert result.status == "not_found"
    assert partner_simulator.vouchers() == []


def test_transient_errors_are_retried_into_one_voucher(partner_simulator: PartnerSimulator) -> None:
    partner_simulator.control(issue={"fail_next": 2})

    with _client(partner_simulator) as client:
        voucher = client.issue_voucher(_request())

    assert [v["voucher_id"] for v in partner_simulator.vouchers()] == [voucher.voucher_id]
    assert partner_simulator.stats()["issue_calls"] == 3


def test_lost_answer_after_commit_returns_the_same_voucher(
    partner_simulator: PartnerSimulator,
) -> None:
    partner_simulator.control(issue={"fail_after_commit": 1})
    request = _request()

    with _client(partner_simulator) as client:
        voucher = client.issue_voucher(request)

    vouchers = partner_simulator.vouchers()
    assert partner_simulator.stats()["issue_calls"] == 2
    assert len(vouchers) == 1
    assert vouchers[0]["voucher_id"] == voucher.voucher_id


def test_permanent_failure_is_rejected_without_retries(partner_simulator: PartnerSimulator) -> None:
    partner_simulator.control(issue={"fail_permanently": True, "rejection_code": "reward_retired"})

    with _client(partner_simulator) as client, pytest.raises(PartnerRejectedError) as caught:
        client.issue_voucher(_request())

    assert caught.value.partner_code == "reward_retired"
    assert partner_simulator.stats()["issue_calls"] == 1
    assert partner_simulator.vouchers() == []


def test_timeouts_become_unavailable(partner_simulator: PartnerSimulator) -> None:
    partner_simulator.control(issue={"timeout": True, "hang_ms": 10_000})

    started = time.monotonic()
    with _client(partner_simulator, attempts=2) as client, pytest.raises(PartnerUnavailableError):
        client.issue_voucher(_request())

    assert time.monotonic() - started < 2.0
    assert partner_simulator.vouchers() == []


def test_breaker_opens_fails_fast_then_recovers(partner_simulator: PartnerSimulator) -> None:
    partner_simulator.control(issue={"error_rate": 1.0})
    with _client(partner_simulator, attempts=1, threshold=2) as client:
        for _ in range(2):
            with pytest.raises(PartnerUnavailableError):
                client.issue_voucher(_request())

        partner_simulator.control(issue={"error_rate": 0.0})
        with pytest.raises(PartnerCircuitOpenError):
            client.issue_voucher(_request())  # the partner is fine again, but we don't ask
        assert partner_simulator.vouchers() == []

        time.sleep(_RECOVERY_S + 0.2)
        voucher = client.issue_voucher(_request())

    assert voucher.status == "issued"
    assert client.breaker_state == "closed"

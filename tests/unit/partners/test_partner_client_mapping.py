"""PartnerClient's mapping of answers to errors, retries and breaker, over a mock transport."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from loyalty.errors import BusinessRefusal, IdempotencyConflictError, UnavailableError
from loyalty.partners import (
    BreakerPolicy,
    IssueVoucherRequest,
    PartnerCircuitOpenError,
    PartnerClient,
    PartnerConflictError,
    PartnerRejectedError,
    PartnerTimeouts,
    PartnerUnavailableError,
    RetryPolicy,
)

_VOUCHER = {
    "voucher_id": "v-1",
    "code": "ABC",
    "status": "issued",
    "idempotency_key": "wf:fulfill",
    "reward_id": "r-1",
    "member_id": "m-1",
    "quantity": 1,
    "issued_at": "2025-01-01T00:00:00Z",
}
_REQUEST = IssueVoucherRequest(
    idempotency_key="wf:fulfill", reward_id="r-1", member_id="m-1", quantity=1
)

Handler = Callable[[httpx.Request], httpx.Response]


class _Script:
    """Answers requests from a list, counting them."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, Exception):
            raise answer
        return answer


def _client(script: Handler, *, attempts: int = 3, threshold: int = 5) -> PartnerClient:
    return PartnerClient(
        base_url="http://partner.test",
        timeouts=PartnerTimeouts(connect=0.5, read=0.5),
        retry=RetryPolicy(
            attempts=attempts, total_timeout=5, wait_initial=0.001, wait_max=0.01, wait_jitter=0
        ),
        breaker=BreakerPolicy(failure_threshold=threshold, recovery_timeout=60),
        transport=httpx.MockTransport(script),
    )


def test_error_tree() -> None:
    assert issubclass(PartnerRejectedError, BusinessRefusal)
    assert issubclass(PartnerConflictError, IdempotencyConflictError)
    assert issubclass(PartnerUnavailableError, UnavailableError)
    assert not issubclass(PartnerUnavailableError, BusinessRefusal)
    assert issubclass(PartnerCircuitOpenError, PartnerUnavailableError)


def test_transient_5xx_is_retried_then_succeeds() -> None:
    script = _Script(httpx.Response(503), httpx.Response(502), httpx.Response(201, json=_VOUCHER))

    voucher = _client(script).issue_voucher(_REQUEST)

    assert voucher.voucher_id == "v-1"
    assert script.calls == 3


def test_429_with_retry_after_is_retried() -> None:
    script = _Script(
        httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200, json=_VOUCHER)
    )

    assert _client(script).issue_voucher(_REQUEST).code == "ABC"
    assert script.calls == 2


def test_rejection_is_not_retried() -> None:
    script = _Script(httpx.Response(422, json={"error": "sold_out", "message": "none left"}))

    with pytest.raises(PartnerRejectedError) as caught:
        _client(script).issue_voucher(_REQUEST)

    assert caught.value.partner_code == "sold_out"
    assert caught.value.status_code == 422
    assert script.calls == 1


def test_conflict_is_not_retried() -> None:
    script = _Script(httpx.Response(409, json={"error": "idempotency_conflict"}))

    with pytest.raises(PartnerConflictError):
        _client(script).issue_voucher(_REQUEST)
    assert script.calls == 1


def test_persistent_5xx_becomes_unavailable_after_bounded_attempts() -> None:
    script = _Script(httpx.Response(500))

    with pytest.raises(PartnerUnavailableError) as caught:
        _client(script, attempts=4).issue_voucher(_REQUEST)

    assert caught.value.status_code == 500
    assert script.calls == 4


def test_connection_error_becomes_unavailable() -> None:
    script = _Script(httpx.ConnectError("refused"))

    with pytest.raises(PartnerUnavailableError):
        _client(script, attempts=2).void_voucher("wf:fulfill")
    assert script.calls == 2


@pytest.mark.parametrize("status", [401, 404])
def test_other_4xx_is_unavailable_not_a_refusal(status: int) -> None:
    with pytest.raises(PartnerUnavailableError):
        _client(_Script(httpx.Response(status))).issue_voucher(_REQUEST)


def test_malformed_success_is_unavailable() -> None:
    with pytest.raises(PartnerUnavailableError):
        _client(_Script(httpx.Response(200, json={"oops": 1}))).issue_voucher(_REQUEST)


def test_breaker_opens_and_fails_fast() -> None:
    script = _Script(httpx.Response(503))
    client = _client(script, attempts=1, threshold=2)

    for _ in range(2):
        with pytest.raises(PartnerUnavailableError):
            client.issue_voucher(_REQUEST)
    with pytest.raises(PartnerCircuitOpenError):
        client.issue_voucher(_REQUEST)

    assert script.calls == 2
    assert client.breaker_state == "open"


def test_rejection_does_not_count_towards_the_breaker() -> None:
    script = _Script(
        httpx.Response(503), httpx.Response(422, json={"error": "no"}), httpx.Response(503)
    )
    client = _client(script, attempts=1, threshold=2)

    for expected in (PartnerUnavailableError, PartnerRejectedError, PartnerUnavailableError):
        with pytest.raises(expected):
            client.issue_voucher(_REQUEST)

    assert client.breaker_state == "closed"


def test_void_sends_the_issue_key() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(200, json={"idempotency_key": "wf:fulfill", "status": "not_found"})

    result = _client(handler).void_voucher("wf:fulfill")

    assert result.status == "not_found"
    assert seen == [b'{"idempotency_key":"wf:fulfill"}']


@pytest.mark.parametrize(
    "make",
    [
        lambda: PartnerTimeouts(connect=0, read=1),
        lambda: RetryPolicy(attempts=0),
        lambda: BreakerPolicy(failure_threshold=0),
        lambda: BreakerPolicy(recovery_timeout=0),
    ],
)
def test_policies_refuse_nonsense(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        make()

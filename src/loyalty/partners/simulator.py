"""A partner fulfillment API simulator, for development and tests.

It behaves like a well-run partner (idempotent issue and void keyed by the
caller's idempotency key) and can be told to misbehave through ``/control``:
latency, random or counted 503s, hangs, permanent 422 rejections and lost
answers after commit. It runs as its own process so the client is tested over
real sockets, timeouts included::

    python -m loyalty.partners.simulator --host 127.0.0.1 --port 8100 [--seed 0]

Endpoints: ``POST /vouchers``, ``POST /vouchers/void`` (all live units, or some),
``GET /vouchers``, ``GET /vouchers/{idempotency_key}``; test hooks ``GET|POST
/control``, ``POST /control/reset``, ``POST /control/vouchers/use`` (the member
redeems units), ``GET /stats`` (calls per operation), ``GET /healthz``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from loyalty.partners.models import (
    IssueVoucherRequest,
    PartnerErrorBody,
    VoidResult,
    VoidVoucherRequest,
    Voucher,
    VoucherList,
)
from loyalty.partners.simulator_state import (
    ConflictError,
    ControlUpdate,
    FaultPlan,
    Operation,
    RejectedError,
    SimulatorControl,
    SimulatorState,
    SimulatorStats,
    UseVoucher,
)

_DISCONNECT_POLL_S = 0.05


def _error(status: int, code: str, message: str) -> JSONResponse:
    body = PartnerErrorBody(error=code, message=message)
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


async def _hang(request: Request, seconds: float) -> None:
    """Sleep like a stuck partner, but stop once the client has given up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await request.is_disconnected():
            return
        await asyncio.sleep(min(_DISCONNECT_POLL_S, max(deadline - time.monotonic(), 0)))


async def _apply_faults(
    state: SimulatorState, op: Operation, request: Request
) -> JSONResponse | None:
    """Run the pre-commit faults; return the error answer, or None to proceed."""
    plan: FaultPlan = state.plan(op)
    if plan.latency_s:
        await asyncio.sleep(plan.latency_s)
    if plan.outcome == "hang":
        await _hang(request, plan.hang_s)
        return _error(504, "timeout", f"{op} hung (simulated)")
    if plan.outcome == "unavailable":
        return _error(503, "unavailable", f"{op} failed (simulated transient error)")
    if plan.outcome == "reject":
        return _error(422, plan.rejection_code, f"{op} rejected (simulated)")
    return None


def _add_voucher_routes(app: FastAPI, state: SimulatorState) -> None:
    @app.post("/vouchers", status_code=201, response_model=Voucher)
    async def issue_voucher(body: IssueVoucherRequest, request: Request) -> JSONResponse:
        if (fault := await _apply_faults(state, "issue", request)) is not None:
            return fault
        try:
            voucher, created = state.issue(body)
        except ConflictError as exc:
            return _error(409, exc.code, exc.message)
        if state.take_fail_after_commit("issue"):
            return _error(503, "unavailable", "issue committed but the answer was lost")
        return JSONResponse(voucher.model_dump(mode="json"), status_code=201 if created else 200)

    @app.post("/vouchers/void", response_model=VoidResult)
    async def void_voucher(body: VoidVoucherRequest, request: Request) -> JSONResponse:
        if (fault := await _apply_faults(state, "void", request)) is not None:
            return fault
        try:
            result = state.void(
                body.idempotency_key, units=body.units, request_key=body.request_key
            )
        except RejectedError as exc:
            return _error(422, exc.code, exc.message)
        if state.take_fail_after_commit("void"):
            return _error(503, "unavailable", "void committed but the answer was lost")
        return JSONResponse(result.model_dump(mode="json"))

    @app.get("/vouchers", response_model=VoucherList)
    async def list_vouchers() -> VoucherList:
        vouchers = state.all_vouchers()
        return VoucherList(vouchers=vouchers, count=len(vouchers))

    @app.get("/vouchers/{idempotency_key:path}", response_model=Voucher)
    async def get_voucher(idempotency_key: str) -> JSONResponse:
        voucher = state.get(idempotency_key)
        if voucher is None:
            return _error(404, "not_found", f"no voucher for key {idempotency_key!r}")
        return JSONResponse(voucher.model_dump(mode="json"))


def _add_control_routes(app: FastAPI, state: SimulatorState) -> None:
    @app.get("/control")
    async def get_control() -> SimulatorControl:
        return state.control()

    @app.post("/control")
    async def update_control(update: ControlUpdate) -> SimulatorControl:
        return state.update_control(update)

    @app.post("/control/reset")
    async def reset_control() -> SimulatorControl:
        return state.reset()

    @app.post("/control/vouchers/use", response_model=Voucher)
    async def use_voucher(order: UseVoucher) -> JSONResponse:
        try:
            return JSONResponse(state.use(order).model_dump(mode="json"))
        except RejectedError as exc:
            return _error(422, exc.code, exc.message)

    @app.get("/stats")
    async def get_stats() -> SimulatorStats:
        return state.stats()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}


def create_app(*, seed: int = 0) -> FastAPI:
    """Build a simulator app with its own in-memory state.

    Args:
        seed: seed of the RNG behind ``error_rate``, so random faults replay identically.
    """
    app = FastAPI(title="Partner fulfillment simulator", version="1")
    state = SimulatorState(seed=seed)
    app.state.simulator = state

    # Malformed bodies answer 400 in the partner error shape; 422 is reserved for
    # business rejections so the client can tell them apart.
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(400, "invalid_request", str(exc.errors()))

    _add_voucher_routes(app, state)
    _add_control_routes(app, state)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Run the simulator under uvicorn (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(seed=args.seed),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        # Hung requests must not hold a shutdown hostage.
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()

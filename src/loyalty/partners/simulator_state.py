"""In-memory state of the partner simulator: vouchers, tombstones and fault controls.

Kept apart from the HTTP layer so the rules (idempotency, conflicts, which
fault fires next) read in one place. Every method takes one ``threading.Lock``
and never holds it across I/O or sleeps, so it is safe whether routes run on
the event loop or in a thread pool.
"""

from __future__ import annotations

import random
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from loyalty.partners.models import IssueVoucherRequest, VoidResult, Voucher

Operation = Literal["issue", "void"]
Outcome = Literal["proceed", "unavailable", "reject", "hang"]

DEFAULT_HANG_MS = 30_000
"""Timeout mode sleeps this long: longer than any sane client read timeout."""


class OperationControl(BaseModel):
    """Faults injected into one operation (``issue`` or ``void``).

    Checked in this order: ``latency_ms`` (always added), ``timeout`` (sleep
    ``hang_ms`` then 504, nothing committed), ``fail_next`` (503 and count down),
    ``error_rate`` (503 with seeded probability), ``fail_permanently`` (422 with
    ``rejection_code``), then the operation runs and ``fail_after_commit``
    (commit, then 503 and count down; ``true`` means 1) simulates a lost answer.
    """

    latency_ms: int = Field(default=0, ge=0)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    timeout: bool = False
    hang_ms: int = Field(default=DEFAULT_HANG_MS, ge=0)
    fail_permanently: bool = False
    rejection_code: str = Field(default="partner_rejected", min_length=1)
    fail_after_commit: int = Field(default=0, ge=0)
    fail_next: int = Field(default=0, ge=0)


class SimulatorControl(BaseModel):
    """The whole control state, as ``GET /control`` shows it."""

    seed: int = 0
    issue: OperationControl = Field(default_factory=OperationControl)
    void: OperationControl = Field(default_factory=OperationControl)


class SimulatorStats(BaseModel):
    """Calls received per operation since the last reset (``GET /stats``), faults included."""

    issue_calls: int = 0
    void_calls: int = 0


class ControlUpdate(BaseModel):
    """Body of ``POST /control``: a merge patch; only the fields sent change."""

    seed: int | None = None
    issue: OperationControl | None = None
    void: OperationControl | None = None


@dataclass(frozen=True)
class FaultPlan:
    """What the HTTP layer must do for one call, decided atomically."""

    latency_s: float
    outcome: Outcome
    hang_s: float = 0.0
    rejection_code: str = ""


class UseVoucher(BaseModel):
    """Body of ``POST /control/vouchers/use``: the member redeems ``units`` of a voucher."""

    idempotency_key: str = Field(min_length=1)
    units: int = Field(default=1, ge=1)


class RejectedError(Exception):
    """The partner refuses for good (answered 422), e.g. the units are already used."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ConflictError(Exception):
    """The key cannot be issued: reused with another body, or voided before issue."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SimulatorState:
    """Vouchers by idempotency key plus fault controls, guarded by one lock."""

    def __init__(self, *, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._initial_seed = seed
        self._reset_locked(seed)

    def _reset_locked(self, seed: int) -> None:
        self._control = SimulatorControl(seed=seed)
        self._rng = random.Random(seed)
        self._vouchers: dict[str, tuple[IssueVoucherRequest, Voucher]] = {}
        # Keys voided before any issue: a late issue must not resurrect them,
        # or a saga that compensated during an in-flight issue would leak a voucher.
        self._tombstones: dict[str, datetime] = {}
        self._partial_voids: dict[str, VoidResult] = {}  # dedupe key -> first answer
        self._stats = SimulatorStats()

    def reset(self) -> SimulatorControl:
        """Forget every voucher, fault and counter; re-seed with the startup seed."""
        with self._lock:
            self._reset_locked(self._initial_seed)
            return self._control.model_copy(deep=True)

    def control(self) -> SimulatorControl:
        with self._lock:
            return self._control.model_copy(deep=True)

    def stats(self) -> SimulatorStats:
        with self._lock:
            return self._stats.model_copy()

    def update_control(self, update: ControlUpdate) -> SimulatorControl:
        """Merge ``update`` into the controls; a new seed restarts the RNG."""
        with self._lock:
            if update.seed is not None:
                self._control.seed = update.seed
                self._rng = random.Random(update.seed)
            for op in ("issue", "void"):
                patch: OperationControl | None = getattr(update, op)
                if patch is not None:
                    current: OperationControl = getattr(self._control, op)
                    # The patch was validated on the way in; merge only what was sent.
                    merged = current.model_copy(update=patch.model_dump(exclude_unset=True))
                    setattr(self._control, op, merged)
            return self._control.model_copy(deep=True)

    def plan(self, op: Operation) -> FaultPlan:
        """Decide the fault for one call and consume counters (see OperationControl)."""
        with self._lock:
            field = f"{op}_calls"
            setattr(self._stats, field, getattr(self._stats, field) + 1)
            c: OperationControl = getattr(self._control, op)
            latency = c.latency_ms / 1000
            if c.timeout:
                return FaultPlan(latency, "hang", hang_s=c.hang_ms / 1000)
            if c.fail_next > 0:
                c.fail_next -= 1
                return FaultPlan(latency, "unavailable")
            if c.error_rate > 0 and self._rng.random() < c.error_rate:
                return FaultPlan(latency, "unavailable")
            if c.fail_permanently:
                return FaultPlan(latency, "reject", rejection_code=c.rejection_code)
            return FaultPlan(latency, "proceed")

    def take_fail_after_commit(self, op: Operation) -> bool:
        """True if this committed call must still answer 503 (a lost answer)."""
        with self._lock:
            c: OperationControl = getattr(self._control, op)
            if c.fail_after_commit > 0:
                c.fail_after_commit -= 1
                return True
            return False

    def issue(self, request: IssueVoucherRequest) -> tuple[Voucher, bool]:
        """Issue once per key; return the voucher and whether it was created now.

        Raises:
            ConflictError: the key was used with another body, or voided first.
        """
        key = request.idempotency_key
        with self._lock:
            if key in self._tombstones:
                raise ConflictError("key_voided", f"key {key!r} was voided before issue")
            if key in self._vouchers:
                stored_request, voucher = self._vouchers[key]
                if stored_request != request:
                    raise ConflictError(
                        "idempotency_conflict", f"key {key!r} was used with another body"
                    )
                return voucher, False
            voucher = Voucher(
                voucher_id=str(uuid.uuid4()),
                code=secrets.token_hex(6).upper(),
                status="issued",
                idempotency_key=key,
                reward_id=request.reward_id,
                member_id=request.member_id,
                quantity=request.quantity,
                issued_at=datetime.now(UTC),
            )
            self._vouchers[key] = (request, voucher)
            return voucher, True

    def void(
        self, key: str, *, units: int | None = None, request_key: str | None = None
    ) -> VoidResult:
        """Void ``units`` live units (all when None) of the voucher issued with ``key``.

        Unknown keys are a no-op ``not_found`` that also tombstones the key.

        Raises:
            RejectedError: fewer live units than asked for (the member used them).
        """
        # A whole void is idempotent on the voucher; a partial one on its request key.
        dedupe = request_key if units is not None else f"void-all:{key}"
        with self._lock:
            if dedupe in self._partial_voids:
                return self._partial_voids[dedupe]
            if key not in self._vouchers:
                self._tombstones.setdefault(key, datetime.now(UTC))
                return VoidResult(idempotency_key=key, status="not_found")
            request, voucher = self._vouchers[key]
            asked = voucher.live_units if units is None else units
            if asked > voucher.live_units or (units is None and voucher.units_used):
                raise RejectedError(
                    "voucher_used",
                    f"{voucher.live_units} of {voucher.quantity} units are live; "
                    f"{voucher.units_used} were used",
                )
            voucher = self._with_units(voucher, voided=voucher.units_voided + asked)
            if asked:
                voucher = voucher.model_copy(update={"voided_at": datetime.now(UTC)})
            self._vouchers[key] = (request, voucher)
            result = VoidResult(
                idempotency_key=key,
                status="voided" if voucher.status == "voided" else "partially_voided",
                units_voided=asked,
                voucher_id=voucher.voucher_id,
                voided_at=voucher.voided_at,
            )
            if dedupe is not None:
                self._partial_voids[dedupe] = result
            return result

    def use(self, order: UseVoucher) -> Voucher:
        """The member redeems ``units`` of a voucher (a test hook: what the partner sees)."""
        with self._lock:
            if order.idempotency_key not in self._vouchers:
                raise RejectedError("not_found", f"no voucher for {order.idempotency_key!r}")
            request, voucher = self._vouchers[order.idempotency_key]
            if order.units > voucher.live_units:
                raise RejectedError("voucher_used", f"only {voucher.live_units} units are live")
            voucher = self._with_units(voucher, used=voucher.units_used + order.units)
            self._vouchers[order.idempotency_key] = (request, voucher)
            return voucher

    @staticmethod
    def _with_units(
        voucher: Voucher, *, used: int | None = None, voided: int | None = None
    ) -> Voucher:
        used = voucher.units_used if used is None else used
        voided = voucher.units_voided if voided is None else voided
        status = (
            "voided"
            if voided == voucher.quantity
            else "used"
            if used + voided == voucher.quantity
            else "issued"
        )
        return voucher.model_copy(
            update={"units_used": used, "units_voided": voided, "status": status}
        )

    def get(self, key: str) -> Voucher | None:
        with self._lock:
            entry = self._vouchers.get(key)
            return entry[1] if entry else None

    def all_vouchers(self) -> list[Voucher]:
        with self._lock:
            return [voucher for _, voucher in self._vouchers.values()]

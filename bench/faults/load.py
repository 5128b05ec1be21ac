"""Redemptions through the HTTP API at a fixed concurrency, each followed to its end.

A start is retried with the same ``request_id`` (idempotent) until the API
accepts it; then the saga is polled until a terminal status or the deadline.
Errors the API answers on the way (while Temporal restarts, say) are counted,
not fatal: the proof is in the end state.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.stack import DEVICE, GIFT, LIMITED, LocalStack

FINAL = {"completed", "rejected", "failed", "cancelled"}
NOT_STARTED = "not_started"  # the budget ran out before its turn: reported, never a violation
LIMITED_SHARE = 0.2


@dataclass
class Saga:
    """One redemption the run asked for, and what became of it."""

    number: int
    member_id: str
    reward_id: str
    request_id: str
    redemption_id: str | None = None
    status: str | None = None
    points: int = 0  # the price the API reports for it
    started: float = 0.0
    ended: float | None = None

    def exposed_to(self, intervals: list[tuple[float, float]]) -> bool:
        end = self.ended if self.ended is not None else float("inf")
        return any(self.started <= closed and opened <= end for opened, closed in intervals)


@dataclass
class Load:
    stack: LocalStack
    total: int
    concurrency: int
    deadline: float  # time.monotonic() by which every saga must have ended
    last_start: float  # no saga starts after this (the rest of the budget is for draining)
    sagas: list[Saga] = field(default_factory=list)
    api_errors: Counter[str] = field(default_factory=Counter)
    started: int = 0

    def __post_init__(self) -> None:
        chooser = random.Random(12)
        members = self.stack.members
        self.sagas = [
            Saga(
                number=n,
                member_id=members[n % len(members)],
                reward_id=LIMITED if chooser.random() < LIMITED_SHARE else GIFT,
                request_id=f"faults-{uuid.uuid4().hex[:12]}",
            )
            for n in range(self.total)
        ]

    def progress(self) -> float:
        return self.started / self.total

    async def run(self) -> None:
        gate = asyncio.Semaphore(self.concurrency)
        limits = httpx.Limits(max_connections=self.concurrency * 2)
        async with httpx.AsyncClient(
            base_url=self.stack.api_url, timeout=30, limits=limits
        ) as http:

            async def one(saga: Saga) -> None:
                async with gate:
                    if time.monotonic() > self.last_start:
                        saga.status = NOT_STARTED
                        return
                    self.started += 1
                    saga.started = time.monotonic()
                    await self._start(http, saga)
                    await self._follow(http, saga)

            await asyncio.gather(*(one(s) for s in self.sagas))

    async def _call(
        self, http: httpx.AsyncClient, method: str, url: str, **kw: object
    ) -> httpx.Response | None:
        try:
            response = await http.request(method, url, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as error:
            self.api_errors[f"{method} {type(error).__name__}"] += 1
            return None
        if response.status_code >= 500 or response.status_code == 429:
            self.api_errors[f"{method} {response.status_code}"] += 1
            return None
        return response

    async def _start(self, http: httpx.AsyncClient, saga: Saga) -> None:
        body = {
            "request_id": saga.request_id,
            "member_id": saga.member_id,
            "reward_id": saga.reward_id,
            "device_id": DEVICE,
        }
        headers = self.stack.customer_headers(saga.member_id)
        while time.monotonic() < self.deadline:
            answer = await self._call(http, "POST", "/v1/redemptions", json=body, headers=headers)
            if answer is not None:
                if answer.status_code != 202:
                    self.api_errors[f"POST {answer.status_code}"] += 1
                    saga.status = f"refused:{answer.status_code}"
                    saga.ended = time.monotonic()
                    return
                saga.redemption_id = answer.json()["redemption_id"]
                return
            await asyncio.sleep(0.5)

    async def _follow(self, http: httpx.AsyncClient, saga: Saga) -> None:
        if saga.redemption_id is None:
            return
        headers = self.stack.customer_headers(saga.member_id)
        pause = 0.1
        while time.monotonic() < self.deadline:
            answer = await self._call(
                http, "GET", f"/v1/redemptions/{saga.redemption_id}", headers=headers
            )
            if answer is not None and answer.status_code == 200:
                body = answer.json()
                saga.status = body["status"]
                if saga.status in FINAL and not body["live"]:  # closed: record and notify ran
                    saga.points = int(body["points"])
                    saga.ended = time.monotonic()
                    return
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 1.0)

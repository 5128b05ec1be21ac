"""Screenshots of the real Temporal Web UI for docs/operations.md, taken from a live `make run`.

With the stack up on its fixed ports, in another terminal, on a copy of the
policies under which exactly the one larger redemption (R-GIFT-25, 2,500
points) waits for a fraud review, however often the script runs:

    # review above 2,000 points; per-day counts that let the script run again and again
    cp -r policies /tmp/demo-policies
    sed -i 's/fraud_review_points_threshold: 50000/fraud_review_points_threshold: 2000/' \
        /tmp/demo-policies/fraud-review.md
    sed -i 's/velocity_max_redemptions_24h: 5/velocity_max_redemptions_24h: 1000/' \
        /tmp/demo-policies/fraud-review.md
    sed -i 's/max_redemptions_per_day: 5/max_redemptions_per_day: 1000/' \
        /tmp/demo-policies/redemption-rules.md
    export LOYALTY_POLICIES_DIR=/tmp/demo-policies \
        LOYALTY_FRAUD_VELOCITY_HOUR_COUNT=1000 LOYALTY_FRAUD_VELOCITY_DAY_COUNT=1000
    make run
    .tools/bin/uv sync --group docs && .venv/bin/python docs/images/screenshots.py

The script first puts the stack in the situations the runbook walks through,
through the product's own HTTP API: redemptions that complete, one that waits
for a fraud review, one parked in ``needs_attention`` (the partner is told to
answer slowly and to refuse voids, then the saga is cancelled while the
voucher is being issued), and an assisted case that waits for an approval.
Then it drives Debian's chromium (``apt-get install chromium``; Playwright
never downloads a browser here) headless through the Web UI and writes the
PNGs beside itself. It resets the partner simulator's faults when done.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from playwright.sync_api import Page, sync_playwright
from temporalio.client import Client

from loyalty.api.auth import Role, mint_token
from loyalty.config import get_settings

API = "http://127.0.0.1:8000"
UI = "http://127.0.0.1:8233"
PARTNER = "http://127.0.0.1:8100"
NAMESPACE = "default"
OUT = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RUN = uuid.uuid4().hex[:6]  # a fresh suffix, so request ids never collide with a past run


def auth(role: Role, member: str | None = None) -> dict[str, str]:
    token = mint_token(get_settings(), role=role, member_id=member, subject=f"{role.value}-docs")
    return {"Authorization": f"Bearer {token}"}


def redeem(http: httpx.Client, member: str, reward: str, tag: str = "", **extra: Any) -> str:
    request_id = f"docs-{RUN}-{member}-{reward}{tag}"
    body = {
        "request_id": request_id,
        "member_id": member,
        "reward_id": reward,
        "device_id": "docs-phone",
    }
    response = http.post(
        "/v1/redemptions", json={**body, **extra}, headers=auth(Role.CUSTOMER, member)
    )
    response.raise_for_status()
    return str(response.json()["redemption_id"])


def wait_status(http: httpx.Client, redemption_id: str, wanted: set[str]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = http.get(f"/v1/redemptions/{redemption_id}", headers=auth(Role.OPERATOR)).json()
        if body.get("status") in wanted:
            return str(body["status"])
        time.sleep(0.5)
    raise SystemExit(f"{redemption_id} never reached {wanted}")


def park_one_saga(http: httpx.Client) -> str:
    """A saga whose void keeps failing after a cancel: it waits for an operator."""
    httpx.post(
        f"{PARTNER}/control",
        json={"issue": {"latency_ms": 4000}, "void": {"fail_permanently": True}},
    ).raise_for_status()
    redemption_id = redeem(
        http, "M0001", "R-GIFT-10", tag="-parked"
    )  # M0001 has history: no review
    time.sleep(2)  # the voucher is being issued now

    async def cancel() -> None:
        client = await Client.connect("127.0.0.1:7233", namespace=NAMESPACE)
        await client.get_workflow_handle(redemption_id).cancel()

    asyncio.run(cancel())
    wait_status(http, redemption_id, {"needs_attention"})
    httpx.post(f"{PARTNER}/control", json={"issue": {"latency_ms": 0}}).raise_for_status()
    return redemption_id


def stage() -> dict[str, str]:
    """Put the stack in the runbook's situations; returns the ids the shots open."""
    httpx.post(f"{PARTNER}/control/reset").raise_for_status()
    with httpx.Client(base_url=API, timeout=30) as http:
        completed = [
            redeem(http, m, r)
            for m, r in (("M0001", "R-COFFEE"), ("M0002", "R-GIFT-10"), ("M0003", "R-COFFEE"))
        ]
        for redemption_id in completed:
            wait_status(http, redemption_id, {"completed"})
        review = redeem(http, "M0005", "R-GIFT-25", device_id=f"kiosk-{RUN}")
        wait_status(http, review, {"awaiting_approval"})
        parked = park_one_saga(http)
        case = http.post(
            "/v1/assisted-redemptions",
            json={
                "request_id": f"docs-{RUN}",
                "member_id": "M0006",
                "reason": "voucher never arrived",
                "severity": "major",
            },
            headers=auth(Role.SUPPORT_AGENT),
        )
        case.raise_for_status()
    return {"completed": completed[0], "review": review, "parked": parked}


def workflows(query: str) -> str:
    return f"{UI}/namespaces/{NAMESPACE}/workflows?query={quote(query)}"


def shoot(page: Page, url: str, name: str, wait_for: str) -> None:
    page.goto(url)
    page.get_by_text(wait_for).first.wait_for(timeout=30_000)
    snap(page, name)


def open_run(page: Page, workflow_id: str, wait_for: str) -> None:
    page.goto(workflows(f'WorkflowId="{workflow_id}"'))
    page.get_by_role("link", name=workflow_id).first.click()
    page.get_by_text(wait_for).first.wait_for(timeout=30_000)


def snap(page: Page, name: str) -> None:
    page.wait_for_timeout(1500)  # let the page finish rendering before the picture
    page.screenshot(path=str(OUT / name))
    print(f"wrote {OUT / name}", file=sys.stderr)


def run_state_query(page: Page) -> None:
    """The saga's own account of itself: status, steps and the failed compensations."""
    page.get_by_text("Queries", exact=True).first.click()
    page.get_by_role("button", name="Run Query").click()
    reasons = page.get_by_text('"reasons"').first
    reasons.wait_for(timeout=30_000)
    reasons.scroll_into_view_if_needed()


def take(ids: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1600, "height": 1000},
        )
        page = browser.new_page()
        shoot(page, workflows('WorkflowType="Redemption"'), "01-redemptions.png", ids["completed"])
        shoot(
            page, workflows('LoyaltyStatus="needs_attention"'), "02-find-stuck.png", ids["parked"]
        )
        open_run(page, ids["parked"], "VoidFulfillment")
        snap(page, "03-why-stuck-timeline.png")
        run_state_query(page)
        snap(page, "04-why-stuck-state.png")
        shoot(
            page,
            workflows('LoyaltyStatus="awaiting_approval"'),
            "05-awaiting-approval.png",
            ids["review"],
        )
        shoot(page, workflows('LoyaltyMemberId="M0001"'), "06-member-filter.png", ids["completed"])
        open_run(page, ids["completed"], "CapturePoints")
        snap(page, "07-completed-run.png")
        shoot(page, f"{UI}/namespaces/{NAMESPACE}/schedules", "08-schedules.png", "hold-sweeper")
        browser.close()


def main() -> None:
    ids = stage()
    try:
        take(ids)
    finally:
        httpx.post(f"{PARTNER}/control/reset").raise_for_status()


if __name__ == "__main__":
    main()

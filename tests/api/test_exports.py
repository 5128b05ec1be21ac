"""Finance exports: streamed CSV and JSON Lines whose sums agree with reconciliation."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from typing import Any

from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory, unique_id
from tests.support.api import ApiHarness

SUMMED = ("delta_available", "delta_held", "delta_pending", "delta_owed")


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def busy_member(api: ApiHarness, new_member: MemberFactory) -> str:
    """A member with an accrual, a completed redemption, and points pending."""
    member = new_member(points=3_000, tier="silver")
    redeem = await api.redeem(
        {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-GIFT-10"},
        api.customer(member),
    )
    await api.wait_for(redeem.json()["redemption_id"], {"completed"})
    posted = await api.http.post(
        f"/v1/members/{member}/accruals",
        json={"order_id": unique_id("order"), "amount": "80.00", "currency": "USD"},
        headers=api.auth("integration", subject="shop-1"),
    )
    assert posted.status_code == 200, posted.text
    return member


def csv_rows(text: str) -> list[dict[str, Any]]:
    return [
        {k: int(v) if k in SUMMED else v for k, v in row.items()}
        for row in csv.DictReader(io.StringIO(text))
    ]


def sums(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUMMED, 0))
    for row in rows:
        for column in SUMMED:
            totals[row["member_id"]][column] += int(row[column])
    return totals


def projection(ledger: Ledger, member: str) -> dict[str, int]:
    balance = ledger.balance(member_id=member)
    return {
        "delta_available": balance.available,
        "delta_held": balance.held,
        "delta_pending": balance.pending,
        "delta_owed": balance.owed,
    }


async def test_a_members_export_in_both_formats_sums_to_the_reconciled_balance(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    member = await busy_member(api, new_member)
    window = {"start": str(today() - dt.timedelta(days=1)), "end": str(today())}
    url = f"/v1/members/{member}/ledger/export"

    as_csv = await api.http.get(url, params=window, headers=api.operator())
    as_jsonl = await api.http.get(url, params={**window, "format": "jsonl"}, headers=api.operator())

    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = csv_rows(as_csv.text)
    lines = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert [r["kind"] for r in rows] == ["accrue", "hold", "capture", "pend"]
    assert [r["entry_id"] for r in lines] == [int(r["entry_id"]) for r in rows]
    assert sums(rows)[member] == sums(lines)[member] == projection(ledger, member)
    assert ledger.reconcile(member_id=member) == []


async def test_the_program_export_covers_every_member_and_only_the_days_asked(
    api: ApiHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    members = [await busy_member(api, new_member) for _ in range(2)]
    asked = {"start": str(today()), "end": str(today()), "format": "jsonl"}
    before = {"start": "2020-01-01", "end": str(today() - dt.timedelta(days=1))}

    program = await api.http.get("/v1/ledger/export", params=asked, headers=api.operator())
    earlier = await api.http.get("/v1/ledger/export", params=before, headers=api.operator())

    totals = sums([json.loads(line) for line in program.text.splitlines()])
    assert {m: totals[m] for m in members} == {m: projection(ledger, m) for m in members}
    assert not set(members) & {r["member_id"] for r in csv_rows(earlier.text)}
    assert ledger.reconcile(member_id=members[0]) == ledger.reconcile(member_id=members[1]) == []


async def test_bad_ranges_and_unknown_members_are_refused_by_name(api: ApiHarness) -> None:
    backwards = await api.http.get(
        "/v1/ledger/export",
        params={"start": "2026-02-01", "end": "2026-01-01"},
        headers=api.operator(),
    )
    unknown = await api.http.get(
        "/v1/members/M-nobody/ledger/export",
        params={"start": "2026-01-01", "end": "2026-01-31"},
        headers=api.operator(),
    )
    by_support = await api.http.get(
        "/v1/ledger/export",
        params={"start": "2026-01-01", "end": "2026-01-31"},
        headers=api.support(),
    )

    assert backwards.status_code == 422
    assert backwards.json()["error"]["details"][0]["field"] == "end"
    assert (unknown.status_code, by_support.status_code) == (404, 403)

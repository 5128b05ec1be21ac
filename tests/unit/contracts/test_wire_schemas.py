"""The committed JSON Schemas under docs/contracts/ match the code's contracts."""

from __future__ import annotations

import json

from loyalty.config import PROJECT_ROOT
from loyalty.contracts.export import render

CONTRACTS = PROJECT_ROOT / "docs" / "contracts"


def test_committed_contracts_match_the_code() -> None:
    expected = render()
    committed = {p.name: p.read_text() for p in CONTRACTS.glob("*.json")}
    stale = sorted(n for n in expected if committed.get(n) != expected[n])
    extra = sorted(set(committed) - set(expected))
    assert not stale and not extra, (
        f"docs/contracts is out of date (stale {stale}, extra {extra}); "
        "run `.venv/bin/loyalty contracts` and commit the result"
    )


def test_every_name_in_the_index_has_a_schema_file() -> None:
    index = json.loads((CONTRACTS / "index.json").read_text())
    names = {spec["input"] for spec in index["activities"].values()}
    names |= {spec["input"] for spec in index["workflows"].values()}
    assert all((CONTRACTS / f"{name}.json").exists() for name in names)
    assert index["workflows"]["Redemption"]["updates"]["approve"]["input"] == "ReviewDecision"

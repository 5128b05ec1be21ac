"""The ``loyalty`` command as an operator runs it: real process, real database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from loyalty.ledger.repository import Ledger
from tests.conftest import MemberFactory

LOYALTY = Path(sys.executable).with_name("loyalty")


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "LOYALTY_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [str(LOYALTY), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_accrue_balance_and_ledger_as_json(
    database_url: str, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member(points=100)
    accrued = run_cli(database_url, "accrue", member, "250", "--key", f"cli-{member}", "--json")
    assert accrued.returncode == 0, accrued.stderr
    assert json.loads(accrued.stdout)["available_after"] == 350

    balance = run_cli(database_url, "balance", member, "--json")
    assert json.loads(balance.stdout)["available"] == 350
    entries = json.loads(run_cli(database_url, "ledger", member, "--json").stdout)
    assert [e["kind"] for e in entries] == ["accrue", "accrue"]


def test_reconcile_without_temporal_exits_4_naming_what_it_could_not_check(
    database_url: str, new_member: MemberFactory
) -> None:
    """Whether a hold outlived its workflow only Temporal can say: no answer is no proof."""
    member = new_member(points=100)
    env = {**os.environ, "DATABASE_URL": database_url, "LOYALTY_LOG_LEVEL": "WARNING"}
    env["LOYALTY_TEMPORAL_ADDRESS"] = f"127.0.0.1:{closed_port()}"
    done = subprocess.run(
        [str(LOYALTY), "reconcile", "--member", member],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 4, done.stderr
    assert "cannot reach Temporal" in done.stderr


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "expected_code", "message"),
    [
        (["accrue", "NO-SUCH-MEMBER", "10"], 3, "not found"),
        (["accrue", "{member}", "--", "-5"], 2, "greater than or equal to 1"),
        (["accrue", "{member}", "0"], 2, "greater than or equal to 1"),
        (["accrue", "{member}", "12.5"], 2, "integer"),
        (["accrue", "{member}", "ten"], 2, "integer"),
        (["balance", "NO-SUCH-MEMBER"], 3, "not found"),
        (["ledger", "NO-SUCH-MEMBER"], 3, "not found"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(
    database_url: str,
    ledger: Ledger,
    new_member: MemberFactory,
    args: list[str],
    expected_code: int,
    message: str,
) -> None:
    member = new_member(points=100)
    result = run_cli(database_url, *[a.format(member=member) for a in args])

    assert result.returncode == expected_code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert ledger.balance(member_id=member).available == 100
    assert len(ledger.entries(member_id=member)) == 1


def test_conflicting_key_is_refused_without_a_write(
    database_url: str, ledger: Ledger, new_member: MemberFactory
) -> None:
    member = new_member()
    assert run_cli(database_url, "accrue", member, "10", "--key", f"k-{member}").returncode == 0
    again = run_cli(database_url, "accrue", member, "11", "--key", f"k-{member}")
    assert again.returncode == 1
    assert "idempotency_conflict" in again.stderr
    assert ledger.balance(member_id=member).available == 10


def test_seed_is_idempotent(database_url: str, ledger: Ledger) -> None:
    first = run_cli(database_url, "seed", "--json")
    second = run_cli(database_url, "seed", "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(second.stdout)
    assert summary["members"] >= 50 and summary["rewards"] >= 20
    assert summary["entries_posted"] == 0 < summary["entries_skipped"]
    assert ledger.reconcile() == []

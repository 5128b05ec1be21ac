"""The policy book re-reads the folder when a file changes, and keeps paths inside it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from loyalty.domain.tiers import Tier
from loyalty.errors import ValidationError
from loyalty.policies.book import PolicyBook

POLICIES = Path(__file__).resolve().parents[3] / "policies"
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    return target


def test_an_edited_policy_applies_on_the_next_read(folder: Path) -> None:
    book = PolicyBook(folder)
    assert book.numbers(today=TODAY).parameters.goodwill_max_points[Tier.GOLD] == 2_500
    path = folder / "goodwill-credits.md"
    path.write_text(path.read_text().replace("gold: 2500", "gold: 2000"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later edit
    assert book.numbers(today=TODAY).parameters.goodwill_max_points[Tier.GOLD] == 2_000


def test_unchanged_files_are_not_parsed_again(folder: Path) -> None:
    book = PolicyBook(folder)
    assert book.documents() is book.documents()


def test_in_force_picks_the_current_version(folder: Path) -> None:
    current = PolicyBook(folder).in_force(today=TODAY)
    assert current["POL-GOODWILL-001"].version == 3
    assert len(current) == 17


def test_credit_life_comes_from_the_expiry_policy(folder: Path) -> None:
    assert PolicyBook(folder).numbers(today=TODAY).credit_expiry_days == 24 * 365 // 12


@pytest.mark.parametrize("path", ["../pyproject.toml", "/etc/passwd", "missing.md"])
def test_paths_outside_the_folder_or_missing_are_refused(folder: Path, path: str) -> None:
    with pytest.raises(ValidationError):
        PolicyBook(folder).path_inside(path)


def test_a_path_inside_the_folder_is_resolved(folder: Path) -> None:
    assert PolicyBook(folder).path_inside("archive") == (folder / "archive").resolve()
    assert PolicyBook(folder).path_inside(None) == folder.resolve()


def test_how_long_an_approval_may_wait_comes_from_the_approval_policy(folder: Path) -> None:
    assert PolicyBook(folder).approval_rules(today=TODAY).approval_timeout_hours == 72.0


@pytest.mark.parametrize("value", ["0", "-1", "soon", "true"])
def test_an_approval_policy_without_a_positive_wait_is_refused(folder: Path, value: str) -> None:
    path = folder / "human-approval.md"
    path.write_text(
        path.read_text().replace("approval_timeout_hours: 72", f"approval_timeout_hours: {value}")
    )
    with pytest.raises(ValidationError, match="approval_timeout_hours"):
        PolicyBook(folder).approval_rules(today=TODAY)

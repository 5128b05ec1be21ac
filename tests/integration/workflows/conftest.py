"""Saga tests redeem rewards from the demo catalog."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _catalog(seeded_catalog: None) -> None:
    """Load the shared reward catalog before each saga test."""

"""Tests in this folder get a clean partner simulator (no vouchers, faults or counters)."""

from __future__ import annotations

import pytest

from tests.support.partner_simulator import PartnerSimulator


@pytest.fixture(autouse=True)
def _clean_partner_simulator(partner_simulator: PartnerSimulator) -> None:
    partner_simulator.reset()

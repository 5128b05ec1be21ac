"""A real partner simulator process for integration tests.

``partner_simulator`` (session-scoped) starts ``python -m loyalty.partners.simulator``
on a free 127.0.0.1 port, waits until it answers and kills it at teardown; it
yields a :class:`PartnerSimulator` (``.url``, ``.control(...)``, ``.reset()``,
``.vouchers()``, ``.stats()``). Tests in this folder get a clean simulator (no
vouchers, faults or counters) through the autouse ``_clean_partner_simulator``.
To use it from another folder, move these fixtures to a shared conftest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.partners.partner_simulator_process import (
    PartnerSimulator,
    start_simulator,
    stop_simulator,
)


@pytest.fixture(scope="session")
def partner_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PartnerSimulator]:
    log_path = tmp_path_factory.mktemp("partner-simulator") / "simulator.log"
    sim = start_simulator(log_path)
    try:
        yield sim
    finally:
        stop_simulator(sim)


@pytest.fixture(autouse=True)
def _clean_partner_simulator(partner_simulator: PartnerSimulator) -> None:
    partner_simulator.reset()

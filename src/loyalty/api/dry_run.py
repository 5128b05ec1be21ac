"""The dry-run ``validate``: the saga's own check methods, in the saga's order, no writes."""

from __future__ import annotations

import uuid

from temporalio.exceptions import ApplicationError

from loyalty.activities.checks import RedemptionChecks
from loyalty.api import schemas
from loyalty.api.errors import from_application_error
from loyalty.contracts.redemption import MemberRef, RedemptionCheck


def validate(
    checks: RedemptionChecks, body: schemas.RedemptionCheckBody
) -> schemas.ValidationResult:
    """What the saga would decide right now; raises the error tree for unknown ids."""
    try:
        return _validate(checks, body)
    except ApplicationError as error:  # the checks speak Temporal: translate back
        raise from_application_error(error) from None


def _validate(
    checks: RedemptionChecks, body: schemas.RedemptionCheckBody
) -> schemas.ValidationResult:
    check = RedemptionCheck(
        redemption_id=f"dry-run-{uuid.uuid4().hex}",  # matches no record: excludes nothing
        **body.model_dump(),
    )
    balance = checks.check_balance(MemberRef(member_id=body.member_id))
    eligibility = checks.check_eligibility(check)
    result = schemas.ValidationResult(
        **body.model_dump(include={"member_id", "reward_id", "quantity"}),
        outcome="would_be_rejected",
        reasons=list(eligibility.reasons),
        balance=schemas.BalanceCheck(available=balance.available, held=balance.held),
        eligibility=schemas.EligibilityCheck(**eligibility.model_dump()),
        fraud=None,
        price=None,
        sufficient_points=None,
    )
    if not eligibility.eligible:
        return result
    fraud = checks.assess_fraud(check)
    result.fraud = schemas.FraudCheck.model_validate(fraud.model_dump())
    if fraud.verdict == "deny":
        result.reasons = ["fraud check denied the redemption", *fraud.reasons]
        return result
    price = checks.price_offer(check)
    result.price = schemas.PriceCheck.model_validate(price.model_dump())
    result.sufficient_points = balance.available >= price.total
    if not result.sufficient_points:
        result.reasons = [
            f"insufficient points: {balance.available} available, {price.total} required"
        ]
    elif fraud.verdict == "review":
        result.outcome, result.reasons = "would_need_review", list(fraud.reasons)
    else:
        result.outcome = "would_proceed"
    return result

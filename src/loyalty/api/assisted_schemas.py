"""Request and response bodies of the assisted-case, proposal and policy routes.

Responses about a case reuse the workflow's own state model (its fields are the
documented wire contract); requests are API-only shapes, so the requester and
the timeout come from the token and the settings, never from the body.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from loyalty.api.schemas import ID_PATTERN, TEXT_PATTERN, ListPage, Reason, Schema, printable
from loyalty.contracts.assisted import AssistedStatus
from loyalty.contracts.ingestion import IngestionState

CaseRequestId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,54}$",
        description="Client idempotency key (at most 55 characters): same key and body, same case.",
        examples=["ticket-4711"],
    ),
]
CaseReason = Annotated[
    str,
    StringConstraints(min_length=3, max_length=4000, pattern=TEXT_PATTERN, strip_whitespace=True),
    AfterValidator(printable),
    Field(description="Free text from the support agent; treated as untrusted by the agent."),
]
Purpose = Literal["goodwill", "retention", "redemption"]
Severity = Literal["minor", "moderate", "major"]
MemberId = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]


class CaseCreate(Schema):
    """A support agent's case: the agent proposes, the guardrails decide."""

    request_id: CaseRequestId
    member_id: MemberId
    reason: CaseReason
    purpose: Purpose = "goodwill"
    severity: Severity | None = None
    reward_id: MemberId | None = Field(
        default=None, description="For purpose `redemption`: the reward to propose."
    )


class CaseAccepted(Schema):
    case_id: str = Field(description="`assisted-<request_id>`.")
    status: AssistedStatus
    links: dict[str, str]


class CaseDecisionBody(Schema):
    reason: Reason


class CaseEditBody(Schema):
    reason: Reason
    points: int = Field(gt=0, le=1_000_000, description="The edited credit; the guardrails apply.")


class PolicyPublic(Schema):
    policy_id: str
    title: str
    version: int
    effective_from: dt.date
    effective_to: dt.date | None
    tiers: list[str]
    sections: list[str]


class PoliciesPublic(ListPage):
    data: list[PolicyPublic]


class IngestionAccepted(Schema):
    workflow_id: str
    state: IngestionState | None = Field(
        default=None, description="The outcome; absent while ingestion is still running."
    )

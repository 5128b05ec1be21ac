"""Public JSON shapes of members as staff manage them: enrolment, profile, freeze, tier review."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from loyalty.api.schemas import TEXT_PATTERN, Id, Reason, Schema, printable

Region = Annotated[
    str,
    Field(pattern=r"^[A-Za-z]{2,8}$", description="Home region code.", examples=["US"]),
    AfterValidator(str.upper),
]
DisplayName = Annotated[
    str, Field(min_length=1, max_length=200, pattern=TEXT_PATTERN), AfterValidator(printable)
]
Email = Annotated[
    str,
    Field(max_length=320, pattern=r"^[^@\s\x00-\x1F]+@[^@\s\x00-\x1F]+\.[^@\s\x00-\x1F]+$"),
]
Notes = Annotated[str, Field(max_length=2000, pattern=TEXT_PATTERN), AfterValidator(printable)]


class MemberCreate(Schema):
    member_id: Id = Field(
        description="The program's id for the member; enrolment is idempotent by it."
    )
    region: Region
    display_name: DisplayName | None = None
    email: Email | None = None


class MemberUpdate(Schema):
    """Only the fields sent change; the tier and the status have their own processes."""

    # a reason and at least one field to change
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 2})

    # region and notes can be changed, never removed: null is not in their schema
    region: Region | SkipJsonSchema[None] = None
    display_name: DisplayName | None = None
    email: Email | None = None
    notes: Notes | SkipJsonSchema[None] = None
    reason: Reason


class MemberPublic(Schema):
    member_id: str
    tier: str
    status: str = Field(description="active | frozen | suspended | closed")
    region: str
    joined_on: dt.date
    display_name: str | None
    email: str | None
    notes: str | None = Field(description="Support notes; null for the member's own token.")
    tier_changed_on: dt.date
    tier_grace_until: dt.date | None = Field(
        description="Set while the member is below the tier's threshold after its review."
    )


class StatusChange(Schema):
    reason: Reason


class CancelOutcome(Schema):
    redemption_id: str
    cancelled: bool
    detail: str


class MemberFrozen(Schema):
    member_id: str
    status: str
    changed: bool = Field(description="False when the account was frozen already.")
    redemptions: list[CancelOutcome] = Field(
        description="The pending redemptions found, and whether each was cancelled."
    )


class TierReviewPublic(Schema):
    member_id: str
    workflow_id: str
    completed: bool = Field(description="False: still running; read the member later.")
    change: str | None = Field(
        description="upgrade | downgrade | grace_started | grace_cleared | unchanged"
    )
    before: str | None
    after: str | None
    qualifying_points: int | None
    grace_until: dt.date | None
    reason: str | None

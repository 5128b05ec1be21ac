"""Bodies of the expiry routes: what is expiring, extensions and reinstatements."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from loyalty.api.schemas import ListPage, Reason, RequestId, Schema


class ExpiringDate(Schema):
    expires_at: dt.datetime
    points: int
    lots: int = Field(description="How many lots (arrivals) expire then.")
    notices_sent: list[int] = Field(
        default_factory=list,
        description="Lead times (days) of the advance notices already sent for this date, "
        "longest first. The expiry runs only if every notice went out its full lead time "
        "before; otherwise the run postpones it (POL-EXPIRY-001) and lists the new date.",
    )


class ExpiringPublic(ListPage):
    member_id: str
    data: list[ExpiringDate] = Field(description="Expiry dates, soonest first.")
    total_points: int = Field(description="All unexpired points in the window, every page.")


class ExtensionCreate(Schema):
    request_id: RequestId
    expires_on: dt.date = Field(description="The date (UTC) of the expiry to push back.")
    days: int = Field(ge=1, le=366, description="Within the tier's extension_max_days.")
    reason: Reason


class ExtensionPublic(Schema):
    extension_id: str
    member_id: str
    expires_on: dt.date
    new_expires_on: dt.date
    days: int
    points: int
    replayed: bool


class ReinstatementCreate(Schema):
    request_id: RequestId
    reason: Reason


class ReinstatementPublic(Schema):
    member_id: str
    points: int
    replayed: bool

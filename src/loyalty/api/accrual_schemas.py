"""Request and response bodies of the accrual routes (points earned on purchases).

Responses reuse the workflow contracts' record (its fields are the documented
wire contract); requests are API-only shapes: the member comes from the path and
the source (which shop or point of sale) from the token, never from the body.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from loyalty.api.schemas import Reason, RequestId, Schema
from loyalty.contracts.accrual import AccrualRecord, ReturnOutcome

# Money travels as a decimal string ("129.90"): never a float, and ASCII digits only.
Amount = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$",
        description="Eligible amount: after discounts, before taxes and shipping.",
        examples=["129.90"],
    ),
]


class AccrualCreate(Schema):
    order_id: RequestId = Field(description="The order id: the idempotency key of the accrual.")
    amount: Amount
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217.", examples=["USD"])


class AccrualReturnCreate(Schema):
    return_id: RequestId = Field(description="Idempotency key of this return.")
    amount: Amount | None = Field(default=None, description="Omit to return what is left.")
    reason: Reason | None = None


class AccrualPublic(Schema):
    accrual_id: str
    status: str = Field(description="recording | pending | available | cancelled | reversed")
    accrual: AccrualRecord | None = Field(description="None only while it is being recorded.")


class AccrualReturnPublic(Schema):
    accrual_id: str
    status: str = Field(description="completed, or running (202) while it is being posted.")
    outcome: ReturnOutcome | None = None

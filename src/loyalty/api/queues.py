"""The staff queues: running workflows found through Temporal visibility, by search attribute.

Each queue is one visibility query over the search attributes the workflows
keep in step with their state (``contracts.search``): a redemption waiting
for its fraud review, an assisted case waiting for an approver, a saga whose
compensation failed. Filters add exact matches on the same attributes; the
cursor is Temporal's own page token, base64url-encoded, with a checksum over
the token and the query: a cursor altered, or sent with other filters, is a
422 naming ``cursor`` before Temporal sees it (the server answers a bad token
with an internal error the SDK retries). Visibility is
eventually consistent: a workflow shows up moments after its status changes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from temporalio.client import WorkflowExecution

from loyalty.api.errors import FieldError
from loyalty.api.gateway import TemporalGateway
from loyalty.api.queue_schemas import QueueItem, QueuePage
from loyalty.contracts import search
from loyalty.contracts.assisted import ASSISTED_WORKFLOW, AssistedStatus
from loyalty.contracts.redemption import REDEMPTION_WORKFLOW, RedemptionStatus


class Queue(StrEnum):
    FRAUD_REVIEWS = "fraud-reviews"
    ASSISTED_APPROVALS = "assisted-approvals"
    NEEDS_ATTENTION = "needs-attention"


# workflow type, status, where the API shows one
_QUEUES: dict[Queue, tuple[str, str, str]] = {
    Queue.FRAUD_REVIEWS: (
        REDEMPTION_WORKFLOW,
        RedemptionStatus.AWAITING_APPROVAL.value,
        "/v1/redemptions/",
    ),
    Queue.ASSISTED_APPROVALS: (
        ASSISTED_WORKFLOW,
        AssistedStatus.AWAITING_APPROVAL.value,
        "/v1/assisted-redemptions/",
    ),
    Queue.NEEDS_ATTENTION: (
        REDEMPTION_WORKFLOW,
        RedemptionStatus.NEEDS_ATTENTION.value,
        "/v1/redemptions/",
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueFilter:
    """Exact matches on search attributes (values already match ``ID_PATTERN``: no quotes)."""

    member_id: str | None = None
    reward_id: str | None = None
    requested_by: str | None = None
    min_points: int | None = None


def visibility_query(queue: Queue, where: QueueFilter) -> str:
    """The Temporal visibility query of ``queue`` narrowed by ``where``."""
    workflow_type, status, _ = _QUEUES[queue]
    clauses = [
        f'WorkflowType = "{workflow_type}"',
        'ExecutionStatus = "Running"',
        f'{search.STATUS.name} = "{status}"',
    ]
    exact = (
        (search.MEMBER_ID.name, where.member_id),
        (search.REWARD_ID.name, where.reward_id),
        (search.REQUESTED_BY.name, where.requested_by),
    )
    clauses += [f'{name} = "{value}"' for name, value in exact if value is not None]
    if where.min_points is not None:
        clauses.append(f"{search.POINTS.name} >= {int(where.min_points)}")
    return " AND ".join(clauses)


async def page(
    gateway: TemporalGateway, queue: Queue, where: QueueFilter, *, limit: int, cursor: str | None
) -> QueuePage:
    """One page of ``queue``, newest first."""
    query = visibility_query(queue, where)
    token = _decode(cursor, query) if cursor else None
    found, following = await gateway.list_page(query, page_size=limit, token=token)
    link = _QUEUES[queue][2]
    items = [await _item(execution, link) for execution in found]
    return QueuePage(data=items, next_cursor=_encode(following, query) if following else None)


async def _item(execution: WorkflowExecution, link: str) -> QueueItem:
    attributes = execution.typed_search_attributes
    memo = await execution.memo()
    summary = memo.get("summary")
    return QueueItem(
        workflow_id=execution.id,
        workflow_type=execution.workflow_type,
        member_id=attributes.get(search.MEMBER_ID),
        reward_id=attributes.get(search.REWARD_ID),
        points=attributes.get(search.POINTS),
        status=attributes.get(search.STATUS),
        channel=attributes.get(search.CHANNEL),
        requested_by=attributes.get(search.REQUESTED_BY),
        started_at=execution.start_time,
        summary=summary if isinstance(summary, str) else None,
        link=f"{link}{execution.id}",
    )


def _encode(token: bytes, query: str) -> str:
    return f"{base64.urlsafe_b64encode(token).decode('ascii')}.{_checksum(token, query)}"


def _decode(cursor: str, query: str) -> bytes:
    encoded, _, checksum = cursor.partition(".")
    try:
        token = base64.urlsafe_b64decode(encoded.encode("ascii"))
    except (binascii.Error, ValueError):
        token = b""
    if not token or not hmac.compare_digest(checksum, _checksum(token, query)):
        raise FieldError("cursor", "not a cursor this list returned for these filters")
    return token


def _checksum(token: bytes, query: str) -> str:
    return hashlib.sha256(query.encode() + b"\0" + token).hexdigest()[:16]

"""The WebhookDelivery workflow: retry one signed POST with backoff for up to three days.

One workflow per (event, subscription), so a slow or dead endpoint delays only
its own deliveries and never a saga; after the horizon the delivery is marked
failed for an operator to look at.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from loyalty.contracts.webhooks import (
        DELIVER_WEBHOOK,
        RECORD_WEBHOOK_FAILURE,
        WEBHOOK_DELIVERY_WORKFLOW,
        DeliveryResult,
        WebhookDelivery,
    )

DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=15),
    maximum_attempts=0,  # bounded by the schedule-to-close horizon instead
)
GIVE_UP_AFTER = timedelta(days=3)


@workflow.defn(name=WEBHOOK_DELIVERY_WORKFLOW)
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, request: WebhookDelivery) -> DeliveryResult:
        try:
            result: DeliveryResult = await workflow.execute_activity(
                DELIVER_WEBHOOK,
                request,
                result_type=DeliveryResult,
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=GIVE_UP_AFTER,
                retry_policy=DELIVERY_RETRY,
            )
            return result
        except ActivityError as error:
            workflow.logger.warning("webhook delivery gave up: %s", error)
            await workflow.execute_activity(
                RECORD_WEBHOOK_FAILURE,
                request,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
            return DeliveryResult(delivered=False, detail="gave up after retries")

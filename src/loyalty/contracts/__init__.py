"""What crosses Temporal: workflow, activity, update and query names, payloads, step keys.

The bottom layer beside ``domain/``: every other package may import it, and it
imports nothing of the product but the domain's enums. One module per workflow
family: ``redemption`` (Redemption and Refund), ``assisted`` (AssistedRedemption
and RewardProposal), ``ingestion`` (IngestPolicies), ``webhooks``
(WebhookDelivery); ``search`` names the custom search attributes and
``export`` writes the JSON Schema files under ``docs/contracts/``.
"""

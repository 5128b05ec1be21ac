"""Webhooks: signed, at-least-once delivery of redemption events to subscribed endpoints.

``models`` (tables), ``subscriptions`` (the service the API calls), ``signing``
(HMAC headers), ``publisher`` (fan an event out to one delivery workflow per
subscription). The durable delivery itself follows the rules of every
workflow: its workflow is ``workflows/webhook_delivery.py``, its activities
``activities/webhooks.py`` and its payloads ``contracts/webhooks.py``.
"""

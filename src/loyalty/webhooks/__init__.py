"""Webhooks: signed, at-least-once delivery of redemption events to subscribed endpoints.

``contracts`` (names and payloads, safe inside workflows), ``models`` (tables),
``subscriptions`` (the service the API calls), ``signing`` (HMAC headers),
``publisher`` (fan an event out to one delivery workflow per subscription),
``activities`` and ``workflow`` (the durable delivery itself).
"""

"""Temporal activities: thin adapters from saga steps to ledger/, partners/, agents/, domain/.

No business rule and no SQL lives here: an activity turns its payload (from
``loyalty.contracts``) into a call on the layer below and the answer back into
a payload, and maps the error tree onto Temporal's retry semantics (``errors``).
"""

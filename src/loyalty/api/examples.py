"""An example on every request body and response schema of the OpenAPI document.

Integrators read the example before the schema, so every component gets one.
A schema that states its own ``examples`` (``model_config`` ``json_schema_extra``)
keeps it; every other one gets an example composed from its fields: a field's
own ``examples``, ``enum``, ``const`` or default first, then a realistic value
for its name from ``BY_NAME`` (the same names mean the same things across the
API), then one that fits its type and format. Nested schemas are composed the
same way, so a new route's models (promotions, say) get examples the day they
land; ``tests/api/test_openapi_contract.py`` validates every example against its
schema and names any it could not fill.
"""

from __future__ import annotations

import re
from typing import Any

# Realistic values by field name; each must fit every schema that uses the name.
BY_NAME: dict[str, Any] = {
    "member_id": "M0001",
    "reward_id": "R-COFFEE",
    "redemption_id": "redemption-member~M0001~order-1",
    "workflow_id": "redemption-member~M0001~order-1",
    "case_id": "case-2026-11-24-0001",
    "refund_id": "refund-redemption-member~M0001~order-1~1",
    "order_id": "order-1001",
    "accrual_id": "accrual-M0001~order-1001",
    "extension_id": "extension-M0001-0001",
    "decision_id": "decision-0001",
    "policy_id": "POL-GOODWILL-001",
    "idempotency_key": "order-1",
    "request_id": "support-ticket-4711",
    "client_request_id": "order-1",
    "reason": "customer asked by phone, ticket 4711",
    "note": "customer asked by phone, ticket 4711",
    "notes": "prefers e-mail",
    "display_name": "Ada Lovelace",
    "name": "Coffee voucher",
    "title": "Goodwill credits",
    "email": "ada@example.com",
    "region": "EU",
    "tier": "gold",
    "category": "food_and_drink",
    "currency": "EUR",
    "channel": "app",
    "url": "https://hooks.example.com/loyalty",
    "secret": "whsec_2f1c9a7e4b6d8f0a1c3e5b7d9f1a3c5e",
    "purpose": "goodwill",
    "actor": "agent-7",
    "requested_by": "agent-7",
    "approver": "lead-2",
    "role": "support_agent",
    "action": "redemption.resolve",
    "target": "redemption-member~M0001~order-1",
    "message": "Not enough available points.",
    "code": "insufficient_points",
    "voucher_code": "LOY-****-7Q2M",
    "quantity": 1,
    "points": 500,
    "amount": "25.00",
    "returned_amount": "10.00",
    "multiplier": "1.5",
    "status": "active",
    "min_tier": "silver",
    "regions": "EU",
    "tiers": "gold",
    "applied_promotion_ids": "PROMO-DOUBLE-WEEKEND",
    "capped_by": "max_bonus_multiplier",
    "available": 1200,
    "held": 0,
    "pending": 250,
    "point_cost": 500,
    "inventory": 42,
    "total": 475,
    "total_points": 1000,
    "version": 3,
    "next_cursor": "1042",
    "description": "Order system, production",
    "summary": "Redemption of R-COFFEE for M0001",
    "link": "/v1/redemptions/redemption-member~M0001~order-1",
    "self": "/v1/redemptions/redemption-member~M0001~order-1",
    "path": "/v1/redemptions",
    "kind": "redemption",
    "outcome": "completed",
    "redemption_status": "completed",
    "step": "reserve_points",
    "current_step": "reserve_points",
    "change": "upgrade",
    "before": "silver",
    "after": "gold",
    "proposer": "llm",
    "second_approver": "lead-3",
    "rationale": "A late delivery; POL-GOODWILL-001 allows up to 500 points for it.",
    "decision_reason": "within the goodwill limit for a late delivery",
    "detail": "2 of 3 approvals this month",
    "section": "2.1 Limits",
    "sections": "2.1 Limits",
    "text": "Agents may credit up to 500 points per case without a supervisor.",
    "reasons": "insufficient_points",
    "codes": "insufficient_points",
    "review_reasons": "new_device",
    "field": "quantity",
    "error": "the partner timed out",
    "events": "redemption.completed",
    "entry_id": 1042,
    "credit_entry_id": 1043,
    "lots": 2,
    "requested_points": 500,
    "verdict_points": 500,
    "final_points": 500,
    "qualifying_points": 12000,
    "base_points": 150,
    "pending_points": 150,
    "settled_points": 0,
    "taken_back_points": 0,
    "from_pending": 50,
    "from_available": 0,
    "shortfall": 0,
    "delta_available": -500,
    "delta_held": 500,
    "available_after": 700,
    "held_after": 500,
    "refunded_points": 500,
    "points_refunded": 500,
    "quantity_refunded": 1,
    "total_refunded_points": 500,
    "expiring_soon": 400,
}
# Tried in order on a string field with a pattern and no better value.
PATTERN_CANDIDATES = ("M0001", "1.5", "text", "redemption-member~M0001~order-1")
WHEN = "2026-11-24T09:30:00Z"
TODAY = "2026-11-24"


def add_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Give every component schema without ``examples`` a composed one (in place)."""
    components = document.get("components", {}).get("schemas", {})
    for name in components:
        _component(name, components, filling=set())
    return document


def _component(name: str, components: dict[str, Any], filling: set[str]) -> Any:
    """The component's example, composing (and storing) it first if it has none."""
    schema = components[name]
    if schema.get("examples"):
        return schema["examples"][0]
    if name in filling:  # a cycle: stop here
        return None
    filling.add(name)
    example = _example(schema, components, None, filling)
    filling.discard(name)
    if schema.get("type") == "object":
        schema["examples"] = [example]
    return example


def _example(
    schema: dict[str, Any], components: dict[str, Any], name: str | None, filling: set[str]
) -> Any:
    if "$ref" in schema:
        return _component(schema["$ref"].rsplit("/", 1)[-1], components, filling)
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("default") not in (None, "", [], {}):
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [b for b in schema[key] if b.get("type") != "null"]
            return _example(branches[0], components, name, filling) if branches else None
    if "allOf" in schema:
        return _example(schema["allOf"][0], components, name, filling)
    kind = schema.get("type")
    if name in BY_NAME and kind in ("string", "integer", "number", None):
        return BY_NAME[name]
    if kind == "object":
        properties = schema.get("properties", {})
        return {key: _example(value, components, key, filling) for key, value in properties.items()}
    if kind == "array":
        item = _example(schema.get("items", {}), components, name, filling)
        return [] if item is None else [item]
    if kind == "string":
        return _string(schema, name)
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", 0), schema.get("maximum", 1_000_000)
        return min(max(low, 1), high)
    if kind == "boolean":
        return False
    return None


def _string(schema: dict[str, Any], name: str | None) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return WHEN
    if fmt == "date":
        return TODAY
    if fmt in ("uri", "url"):
        return str(BY_NAME["url"])
    pattern = schema.get("pattern")
    if pattern is not None:
        fits = [c for c in PATTERN_CANDIDATES if re.fullmatch(pattern, c)]
        return fits[0] if fits else "text"
    if name and (name.endswith("_id") or name.endswith("_by")):
        return "M0001"
    return "text"

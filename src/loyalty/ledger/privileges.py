"""Least privilege in PostgreSQL: what the application's role may do, table by table.

Migrations run as the owner of the schema (``LOYALTY_MIGRATION_DATABASE_URL``);
every application process connects as a login role that is a member of
``loyalty_app`` (``DATABASE_URL``), which owns nothing and holds only the
grants below. The facts (ledger entries, the audit log, the decision log,
refunds, vouchers) are INSERT and SELECT only, so the app cannot rewrite
history even with the triggers gone, and as a non-owner it cannot drop or
disable those triggers, truncate a table or change the schema.

A migration that adds a table grants it here too:
``op.execute(grant_statement(table))`` after adding the table to
``APP_PRIVILEGES``; ``tests/integration/ledger/test_privileges.py`` fails for a
table that is missing.
"""

from __future__ import annotations

from collections.abc import Mapping

APP_ROLE = "loyalty_app"
_FACT = ("SELECT", "INSERT")
_RECORD = ("SELECT", "INSERT", "UPDATE")

APP_PRIVILEGES: Mapping[str, tuple[str, ...]] = {
    # facts: written once, read forever
    "ledger_entries": _FACT,
    "audit_log": _FACT,
    "agent_decisions": _FACT,
    "refunds": _FACT,
    "vouchers": _FACT,
    "hold_tombstones": _FACT,
    "accrual_returns": _FACT,
    "expiry_notices": _FACT,
    "expiry_extensions": _FACT,
    "promotion_versions": _FACT,
    "promo_code_uses": _FACT,
    # projections and records the application keeps current (UPDATE, never DELETE)
    "accounts": _RECORD,
    "holds": _RECORD,
    "point_lots": _RECORD,
    "hold_allocations": _RECORD,
    "members": _RECORD,
    "rewards": _RECORD,
    "redemptions": _RECORD,
    "webhook_subscriptions": _RECORD,
    "webhook_deliveries": _RECORD,
    "accruals": _RECORD,
    # lock rows only, but SELECT ... FOR UPDATE needs the UPDATE privilege
    "budget_periods": _RECORD,
    # the schema version, so the app can tell which migration it runs against
    "alembic_version": ("SELECT",),
}


def grant_statement(table: str) -> str:
    """``GRANT`` the application role exactly its privileges on ``table``."""
    return f"GRANT {', '.join(APP_PRIVILEGES[table])} ON TABLE {table} TO {APP_ROLE}"


CREATE_APP_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- created concurrently by another migration of the same cluster
END $$;
"""

"""The points ledger in PostgreSQL: tables, the idempotent repository, reconciliation."""

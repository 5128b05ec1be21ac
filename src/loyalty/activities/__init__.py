"""Temporal activities: thin adapters from saga steps to ledger/, partners/, agents/, domain/.

``contracts`` holds only names and payload models, so workflow modules can import
it without pulling in SQLAlchemy or HTTP clients.
"""

"""Scratch PostgreSQL databases for tests that must not share the session's database.

As in production, the schema has an owner (the migration role) and the
application logs in as its own role in ``loyalty_app``: ``scratch_database``
yields the owner's URL, ``scratch_login`` an application URL beside it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from loyalty.ledger.db import migrate

ADMIN_URL = os.environ.get(
    "LOYALTY_MIGRATION_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin_conninfo() -> str:
    admin = make_url(ADMIN_URL).set(drivername="postgresql", database="postgres")
    return admin.render_as_string(hide_password=False)


@contextmanager
def scratch_database(prefix: str, *, create: bool = True) -> Iterator[str]:
    """The owner's URL of a database of its own, dropped afterwards.

    With ``create`` it is created and migrated; without, only its name is
    reserved (for a process under test that creates it, as ``loyalty up`` does).
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    if create:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        migrate(url)
    try:
        yield url
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_login(owner_url: str) -> Iterator[str]:
    """An application URL for the database of ``owner_url``, under a login role of its own.

    The role itself is created by whoever provisions the database (``loyalty
    up`` or ``ensure_app_login``); it is dropped afterwards.
    """
    login = f"loyalty_app_test_{uuid.uuid4().hex[:10]}"
    url = make_url(owner_url).set(username=login, password=None)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{login}"')

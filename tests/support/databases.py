"""Scratch PostgreSQL databases for tests that must not share the session's database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from loyalty.ledger.db import migrate

ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin_conninfo() -> str:
    admin = make_url(ADMIN_URL).set(drivername="postgresql", database="postgres")
    return admin.render_as_string(hide_password=False)


@contextmanager
def scratch_database(prefix: str, *, create: bool = True) -> Iterator[str]:
    """The URL of a database of its own, dropped afterwards.

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

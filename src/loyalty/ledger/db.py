"""Engine, sessions and migrations: the one place that knows how to reach PostgreSQL.

Two roles (see ``loyalty.ledger.privileges``): migrations and provisioning use
the owner's URL; every application process uses the app role's URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from psycopg import sql
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from loyalty.errors import ValidationError
from loyalty.ledger.privileges import APP_ROLE

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    """An engine with pre-ping, so a restarted database costs one retry, not an outage."""
    return create_engine(
        database_url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to run on every start."""
    command.upgrade(alembic_config(database_url), revision)


def ensure_database(database_url: str) -> bool:
    """Create the database named in ``database_url`` if it is missing; True if created.

    Convenience for ``make run`` on a fresh machine; production databases are
    provisioned by their operators.
    """
    url = make_url(database_url)
    with psycopg.connect(_conninfo(url, database="postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
        if exists.fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(url.database))))
        return True


def ensure_app_login(migration_url: str, app_url: str) -> bool:
    """Make the user of ``app_url`` a login role in ``loyalty_app``; True if created.

    Runs as the owner of ``migration_url`` (it needs CREATEROLE) after the
    migrations created ``loyalty_app``. The password, if the app URL has one,
    is set on creation and left alone afterwards.

    Raises:
        ValidationError: the app's user is the owner, or the group role itself.
    """
    owner, app = make_url(migration_url), make_url(app_url)
    if not app.username or app.username == owner.username:
        raise ValidationError("DATABASE_URL must name a role other than the migration owner")
    if app.username == APP_ROLE:
        raise ValidationError(f"DATABASE_URL must name a login role, not the group {APP_ROLE}")
    role = sql.Identifier(app.username)
    with psycopg.connect(_conninfo(owner), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app.username,))
        created = found.fetchone() is None
        if created:
            password = sql.SQL(" PASSWORD {}").format(sql.Literal(app.password or ""))
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE{}").format(
                    role, password if app.password else sql.SQL("")
                )
            )
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(APP_ROLE), role))
    return created


@dataclass(frozen=True)
class Provisioned:
    database_created: bool
    app_role_created: bool


def provision(migration_url: str, app_url: str) -> Provisioned:
    """As the owner: create the database if missing, migrate it, and the app's login role."""
    created = ensure_database(migration_url)
    migrate(migration_url)
    return Provisioned(
        database_created=created, app_role_created=ensure_app_login(migration_url, app_url)
    )


def _conninfo(url: URL, *, database: str | None = None) -> str:
    target = url.set(drivername="postgresql")
    if database is not None:
        target = target.set(database=database)
    return target.render_as_string(hide_password=False)

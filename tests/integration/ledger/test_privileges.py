"""Least privilege: the application's role cannot rewrite history or change the schema.

Every other test already runs as that role (``database_url`` in conftest); this
one proves what it may not do, each statement in a transaction of its own.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from loyalty.errors import ValidationError
from loyalty.ledger.db import ensure_app_login
from loyalty.ledger.privileges import APP_PRIVILEGES, APP_ROLE
from tests.conftest import MemberFactory

FORBIDDEN = [
    "UPDATE ledger_entries SET reason = 'rewritten' WHERE member_id = :m",
    "DELETE FROM ledger_entries WHERE member_id = :m",
    "TRUNCATE ledger_entries",
    "UPDATE audit_log SET reason = 'rewritten'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log CASCADE",
    "UPDATE agent_decisions SET approver = 'me'",
    "DELETE FROM agent_decisions",
    "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "DROP TRIGGER agent_decisions_append_only ON agent_decisions",
    "ALTER TABLE accounts DROP CONSTRAINT account_available_non_negative",
    "CREATE TABLE shadow_ledger (id int)",
    "DROP TABLE vouchers",
]


@pytest.mark.parametrize("statement", FORBIDDEN)
def test_the_app_role_cannot_rewrite_facts_or_alter_the_schema(
    sessions: sessionmaker[Session], new_member: MemberFactory, statement: str
) -> None:
    member = new_member(points=10)

    refused = pytest.raises(ProgrammingError, match=r"permission denied|must be owner")
    with refused, sessions.begin() as session:
        session.execute(text(statement), {"m": member})

    with sessions() as session:
        kept = session.scalar(
            text("SELECT count(*) FROM ledger_entries WHERE member_id = :m"), {"m": member}
        )
    assert kept == 1


def test_the_app_role_is_a_member_of_loyalty_app_and_owns_nothing(database_url: str) -> None:
    login = make_url(database_url).username
    conninfo = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(conninfo.render_as_string(hide_password=False)) as conn:
        owned = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
            (login,),
        ).fetchone()
        member = conn.execute("SELECT pg_has_role(%s, %s, 'member')", (login, APP_ROLE))
        super_or_owner = conn.execute(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = %s",
            (login,),
        ).fetchone()
        assert member.fetchone() == (True,)
    assert owned == (0,)
    assert super_or_owner == (False,)


def test_every_table_has_exactly_the_declared_grants(owner_sessions: sessionmaker[Session]) -> None:
    with owner_sessions() as session:
        rows = session.execute(
            text(
                "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = :role AND table_schema = 'public'"
            ),
            {"role": APP_ROLE},
        ).all()
        tables = set(
            session.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        )
    granted: dict[str, set[str]] = {}
    for table, privilege in rows:
        granted.setdefault(table, set()).add(privilege)

    assert tables == set(APP_PRIVILEGES), "declare each table in loyalty.ledger.privileges"
    assert granted == {table: set(privileges) for table, privileges in APP_PRIVILEGES.items()}


@pytest.mark.parametrize("user", ["owner", APP_ROLE])
def test_the_app_never_logs_in_as_the_owner_or_the_group(
    owner_database_url: str, user: str
) -> None:
    owner = make_url(owner_database_url)
    app = owner if user == "owner" else owner.set(username=APP_ROLE)

    with pytest.raises(ValidationError, match="DATABASE_URL must name"):
        ensure_app_login(owner_database_url, app.render_as_string(hide_password=False))

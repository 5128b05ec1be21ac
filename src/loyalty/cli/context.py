"""Wiring for CLI commands: settings, database and the ledger, built on demand."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from loyalty.config import Settings, get_settings
from loyalty.ledger.db import make_engine, make_session_factory
from loyalty.ledger.repository import Ledger


def settings() -> Settings:
    return get_settings()


@cache
def engine() -> Engine:
    return make_engine(settings().database_url, pool_size=2)


def sessions() -> sessionmaker[Session]:
    return make_session_factory(engine())


def ledger() -> Ledger:
    return Ledger(sessions())

"""The SQLAlchemy base, the UTC datetime type and the SQLite connection settings."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Alembic needs stable constraint names to alter tables on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def string_enum(enum_class: type[StrEnum], name: str) -> sa.Enum:
    """Store an enum as its string value with a CHECK constraint (portable across SQLite and PostgreSQL)."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Store datetimes as UTC and always hand back aware UTC values, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite has no time zones: keep a naive UTC value there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    """Turn on WAL with full sync, foreign keys and a busy timeout on every SQLite connection."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # Let SQLAlchemy's "begin" hook below issue BEGIN itself instead of the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    # FULL syncs the WAL at every commit: a check-in acked to a console survives a power cut too (NORMAL could take
    # the last commits back). Measured cost, bench/sqlite_sync.py: about 0.25 ms per commit (docs/performance.md).
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediate_on_sqlite(connection: sa.Connection) -> None:
    """Take SQLite's write lock at BEGIN.

    A deferred transaction that reads and later writes can fail with "database is locked" even with a busy
    timeout; BEGIN IMMEDIATE waits for the lock up front instead. WAL readers outside transactions are not blocked.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_transient(error: BaseException) -> bool:
    """Tell whether a database error passes by itself, so that the same request may succeed when sent again.

    Transient: SQLite busy or locked past its busy timeout; on PostgreSQL every operational error (a lock or
    statement timeout, a serialization failure or deadlock, a lost connection). Permanent: what the data itself
    causes (a NUL byte, a constraint, a value out of range), which fails again however often it is sent.
    """
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    if type(error.orig).__module__ == "sqlite3":
        message = str(error.orig).lower()
        return "locked" in message or "busy" in message
    return True


def is_caused_by_data(error: BaseException) -> bool:
    """Tell whether a database error comes from the values written (a NUL byte, a value out of range, a broken
    constraint): the same write fails again however often it is sent."""
    return isinstance(error, sa.exc.DataError | sa.exc.IntegrityError) and not is_transient(error)

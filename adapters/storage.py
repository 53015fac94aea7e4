"""Storage for the reference systems: one layer over SQLAlchemy, SQLite by default, PostgreSQL when asked.

Each system keeps its tables under its own prefix (`cp_`, `ecaf_`, `ics_`), so the three can
share one PostgreSQL database or each have an SQLite file. Records are stored as the
standard's own JSON (the document column) beside the columns a system searches on, so what
a system stores is exactly what the standard can carry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, Engine, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeEngine

__all__ = ["Document", "Store", "engine_for", "normalise_url"]

#: A JSON column: JSONB on PostgreSQL, JSON text on SQLite.
Document: TypeEngine[Any] = JSON().with_variant(postgresql.JSONB(), "postgresql")


def normalise_url(url: str) -> str:
    """Accept a database URL or a file path; name the psycopg 3 driver for PostgreSQL."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def engine_for(url: str) -> Engine:
    """An engine for a store URL (see `normalise_url`)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL still never corrupts the database; a power cut may lose the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """A system's database: its tables, and transactions that apply whole or not at all."""

    def __init__(self, url: str, metadata: MetaData) -> None:
        self.url = normalise_url(url)
        self.engine = engine_for(url)
        self.metadata = metadata
        metadata.create_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction: committed if the block ends normally, rolled back if it raises."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads."""
        with self.engine.connect() as connection:
            yield connection

    def dispose(self) -> None:
        """Close the store's connections."""
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

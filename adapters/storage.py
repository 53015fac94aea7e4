"""Storage for the reference systems: one layer over SQLAlchemy, SQLite by default, PostgreSQL when asked.

Each system keeps its tables under its own prefix (`cp_`, `ecaf_`, `ics_`), so the three can
share one PostgreSQL database or each have an SQLite file. Records are stored as the
standard's own JSON (the document column) beside the columns a system searches on, so what
a system stores is exactly what the standard can carry.

Connections are kept, not opened per use, each engine in the way it works best:

- **SQLite** allows one writer at a time. A store keeps one long-lived writing connection,
  whose transactions start with ``BEGIN IMMEDIATE``: a transaction takes the write lock before
  its first read, so what it read cannot change under it before it writes (two deliveries of
  the same new child cannot both decide to create it), and several processes on one file queue
  for the lock (``busy_timeout``) instead of failing. Reads go through a pool of other
  connections, each read in its own snapshot, in WAL mode, so searches never wait for the feed.
- **PostgreSQL** takes a pool of connections for both; psycopg prepares each statement the
  server sees repeatedly, and the server's autovacuum keeps the statistics current.

Statistics: the planner of each engine chooses indexes from statistics of the tables. On SQLite
a store gathers them when it opens (``ANALYZE``, on a sample of each index) and again whenever
its writer has committed `ANALYSE_EVERY` transactions since, so the plans follow the tables as
they grow from a few children to millions; on PostgreSQL the server's autovacuum does the same,
and `Store.analyse` does it at once (after a bulk load, for one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import JSON, Connection, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.pool import QueuePool, StaticPool
from sqlalchemy.types import TypeEngine

__all__ = ["Document", "Statements", "Store", "engine_for", "normalise_url"]

#: A JSON column: JSONB on PostgreSQL, JSON text on SQLite.
Document: TypeEngine[Any] = JSON().with_variant(postgresql.JSONB(), "postgresql")

#: Seconds a writer waits for another (thread or process) to finish with the database.
LOCK_TIMEOUT = 30
#: SQLite read connections a store keeps (more are opened while many threads read at once).
SQLITE_READERS = 4
#: Statements each SQLite connection keeps compiled (the standard library's default is 128).
SQLITE_STATEMENT_CACHE = 512
#: SQLite: rows ANALYZE samples per index; enough to tell a unique key from a date of birth.
SQLITE_ANALYSIS_LIMIT = 1000
#: SQLite: write transactions between two refreshes of the statistics.
ANALYSE_EVERY = 20_000


S = TypeVar("S")
T = TypeVar("T")


class Statements(Generic[T]):
    """Statements built once and run many times, for the paths every message or search takes.

    Building a SQLAlchemy statement costs more than running it on SQLite; a statement built
    once (with `bindparam` for what changes) is also compiled once, its cache key kept. Each
    statement is written where it is used, as a function of the system's tables:

        row = connection.execute(self.sql(lambda t: select(t.child.c.status).where(
            t.child.c.contactpoint_id == bindparam("id"))), {"id": contactpoint_id}).first()

    and built on its first use. The function may use nothing but the tables it is given (a
    value of the call captured in it would be built into the statement once and for all), so
    one that captures a variable is refused.
    """

    def __init__(self, tables: T) -> None:
        self.tables = tables
        self._built: dict[Any, Any] = {}

    def __call__(self, build: Callable[[T], S]) -> S:
        statement = self._built.get(build.__code__)
        if statement is None:
            if build.__closure__:
                names = ", ".join(build.__code__.co_freevars)
                raise TypeError(f"a cached statement may use only the tables it is given, not {names}: bind them")
            statement = self._built[build.__code__] = build(self.tables)
        return cast(S, statement)


def normalise_url(url: str) -> str:
    """Accept a database URL or a file path; name the psycopg 3 driver for PostgreSQL."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_engine(url: str, *, writer: bool, readers: int = SQLITE_READERS) -> Engine:
    """An SQLite engine: one writing connection (BEGIN IMMEDIATE), or a pool of reading ones (BEGIN)."""
    memory = url in ("sqlite://", "sqlite:///:memory:")
    options: dict[str, Any] = {
        "connect_args": {
            "timeout": LOCK_TIMEOUT,
            "cached_statements": SQLITE_STATEMENT_CACHE,
            "check_same_thread": False,
        }
    }
    if memory:
        # One in-memory database is one connection: readers and the writer share it.
        options["poolclass"] = StaticPool
    elif writer:
        options.update(poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=LOCK_TIMEOUT * 2)
    else:
        options.update(poolclass=QueuePool, pool_size=readers, max_overflow=4 * readers, pool_timeout=LOCK_TIMEOUT)
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off: the "begin" hook below says when.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL still never corrupts the database; a power cut may lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={LOCK_TIMEOUT * 1000}")
        cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages per connection
        cursor.close()

    begin = "BEGIN IMMEDIATE" if writer or memory else "BEGIN"

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)

    return engine


def engine_for(url: str) -> Engine:
    """An engine for a store URL (see `normalise_url`): for SQLite, the writing one."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(url, writer=True)
    # A reference service answers from a thread pool (40 threads by default); the feed and the
    # searches share these connections. A connection that died with the server is replaced on its
    # next use (SQLAlchemy invalidates the pool on a disconnect), so no ping precedes each checkout.
    return create_engine(url, pool_size=10, max_overflow=30, pool_recycle=3600, pool_timeout=LOCK_TIMEOUT)


class Store:
    """A system's database: its tables, and transactions that apply whole or not at all."""

    def __init__(self, url: str, metadata: MetaData) -> None:
        self.url = normalise_url(url)
        self.engine = engine_for(url)
        self.metadata = metadata
        if self.engine.dialect.name == "sqlite" and self.engine.pool.__class__ is not StaticPool:
            self.read_engine = _sqlite_engine(self.url, writer=False)
        else:
            self.read_engine = self.engine
        metadata.create_all(self.engine)
        #: Columns this version added to a store an earlier one made, as (table, column): the
        #: system fills them in (see `upgrade`).
        self.added_columns = self.upgrade()
        self._commits = 0
        self._commits_lock = threading.Lock()
        if self.dialect == "sqlite":
            self.analyse()  # PostgreSQL's autovacuum analyses tables as they grow

    def upgrade(self) -> set[tuple[str, str]]:
        """Bring tables an earlier version made up to these: the columns (nullable) and indexes added since."""
        added: set[tuple[str, str]] = set()
        with self.engine.begin() as connection:
            existing = inspect(connection)
            for table in self.metadata.sorted_tables:
                if not existing.has_table(table.name):
                    continue
                have = {column["name"] for column in existing.get_columns(table.name)}
                for column in table.columns:
                    if column.name in have:
                        continue
                    if not column.nullable:
                        raise RuntimeError(
                            f"the store's table {table.name} lacks the column {column.name}, which cannot be added "
                            "to the rows it holds: load the records into a new store"
                        )
                    kind = column.type.compile(dialect=self.engine.dialect)
                    connection.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                    added.add((table.name, column.name))
                for index in table.indexes:
                    index.create(connection, checkfirst=True)
        return added

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction: committed if the block ends normally, rolled back if it raises.

        On SQLite the transaction holds the write lock from its start: keep it short.
        """
        with self.engine.begin() as connection:
            yield connection
        if self.read_engine is not self.engine:
            self._committed()

    @staticmethod
    @contextmanager
    def savepoint(connection: Connection) -> Iterator[None]:
        """A part of a transaction undone alone if its block raises (one message of a batch).

        Always under the same name: SQLAlchemy's own savepoints take a new name each time, which
        makes each a new statement to compile and keep.
        """
        connection.exec_driver_sql("SAVEPOINT ics_part")
        try:
            yield
        except BaseException:
            connection.exec_driver_sql("ROLLBACK TO SAVEPOINT ics_part")
            connection.exec_driver_sql("RELEASE SAVEPOINT ics_part")
            raise
        connection.exec_driver_sql("RELEASE SAVEPOINT ics_part")

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads, in one snapshot of the database until the block ends."""
        with self.read_engine.connect() as connection:
            yield connection

    def analyse(self) -> None:
        """Refresh the planner's statistics: SQLite's ANALYZE (on a sample), PostgreSQL's of this store's tables."""
        tables = [table.name for table in self.metadata.sorted_tables]
        if self.dialect == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
            return
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            for name in tables:
                connection.exec_driver_sql(f'ANALYZE "{name}"')

    def _committed(self) -> None:
        with self._commits_lock:
            self._commits += 1
            due = self._commits % ANALYSE_EVERY == 0
        if due:
            self.analyse()

    def dispose(self) -> None:
        """Close the store's connections."""
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

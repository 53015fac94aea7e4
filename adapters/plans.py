"""Query plans: the statements a piece of work runs, and whether any of them reads a whole table.

A reference system must answer a search or apply a feed message in the same time whether it
holds a thousand children or eleven million, so no statement on those paths may read a table
whose size grows with the children held. `recording` collects the statements every engine in
this process runs during a block; `full_scans` asks the database how it would run each one
(``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN (FORMAT JSON)`` on PostgreSQL) and reports those
that would scan one of the tables named. Reading the whole of a partial index (one that holds
only the rows matching its condition, such as the messages still to deliver) is not a scan of
its table.

The question is what the planner does with a large store, and a test's store is small: on
PostgreSQL sequential scans are switched off for the explanation (so one still chosen means no
index can serve the statement), and on SQLite `as_if_large` scales the statistics ANALYZE
gathered up to a large store's before asking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
from sqlalchemy import Connection, Engine, event

__all__ = ["FullScan", "Statement", "as_if_large", "full_scans", "recording"]


@attrs.frozen
class Statement:
    """A statement as the database driver received it, with the parameters of one execution."""

    dialect: str
    sql: str
    parameters: Any


@attrs.frozen
class FullScan:
    """A statement the planner would answer by reading the whole of a table (or a whole index of it)."""

    table: str
    plan: str
    sql: str

    def describe(self) -> str:
        """One paragraph: the table, how it is read, and the statement."""
        return f"{self.table}: {self.plan}\n    {' '.join(self.sql.split())}"


_PLANNED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


@contextmanager
def recording() -> Iterator[list[Statement]]:
    """Collect every statement any engine of this process runs until the block ends (each distinct one once)."""
    seen: dict[str, Statement] = {}

    def record(
        _connection: Any, _cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if not statement.lstrip().upper().startswith(_PLANNED):
            return
        if executemany and isinstance(parameters, Sequence) and not isinstance(parameters, str | bytes):
            parameters = parameters[0] if parameters else ()
        dialect = context.dialect.name if context is not None else "sqlite"
        seen.setdefault(statement, Statement(dialect, statement, parameters))

    statements: list[Statement] = []
    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)
        statements.extend(seen.values())


def as_if_large(connection: Connection, factor: int = 100_000) -> None:
    """SQLite: run ANALYZE, then scale the row counts it found by `factor`, as a large store's would be.

    The per-key figures (how many rows share a value of each index's leading columns) stay as
    measured, so the planner still knows a unique key from a shared one. A partial index keeps
    its count: it holds the rows in passing (the messages still to deliver, the entries held for
    a data manager), which a large store has no more of than a small one.
    """
    connection.exec_driver_sql("ANALYZE")
    partial = _partial_indexes(connection)
    rows = connection.exec_driver_sql("SELECT tbl, idx, stat FROM sqlite_stat1").all()
    for table, index, stat in rows:
        parts = str(stat or "").split()
        if not parts or not parts[0].isdigit() or index in partial:
            continue
        parts[0] = str(max(1, int(parts[0])) * factor)
        # The per-key averages stay, but never below one row: a large table's keys are shared as the small one's.
        connection.exec_driver_sql(
            "UPDATE sqlite_stat1 SET stat = ? WHERE tbl = ? AND idx IS ?", (" ".join(parts), table, index)
        )
    connection.exec_driver_sql("ANALYZE sqlite_schema")  # reload the statistics into the planner
    connection.commit()


_SQLITE_SCAN = re.compile(r"^SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?")


def _partial_indexes(connection: Connection) -> set[str]:
    """The indexes that hold only the rows matching a condition (reading one whole reads only those rows)."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all()
    else:
        rows = connection.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes").all()
    return {str(name) for name, sql in rows if sql and " WHERE " in str(sql).upper()}


def _sqlite_scans(
    connection: Connection, statement: Statement, tables: set[str], partial: set[str]
) -> Iterator[FullScan]:
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement.sql, statement.parameters or ()).all()
    for row in rows:
        detail = str(row[-1])
        match = _SQLITE_SCAN.match(detail)
        if match and match.group(1) in tables and match.group(2) not in partial:
            yield FullScan(match.group(1), detail, statement.sql)


def _postgres_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _postgres_nodes(child)


def _postgres_scans(
    connection: Connection, statement: Statement, tables: set[str], partial: set[str]
) -> Iterator[FullScan]:
    result = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement.sql, statement.parameters or {})
    document = result.scalar_one()
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    for node in _postgres_nodes(plan):
        table = node.get("Relation Name")
        if table not in tables:
            continue
        kind = node.get("Node Type", "")
        # A scan of a whole index (no condition on its columns) reads the table as surely as a sequential scan.
        whole = kind == "Seq Scan" or (
            kind in ("Index Scan", "Index Only Scan")
            and "Index Cond" not in node
            and node.get("Index Name") not in partial
        )
        if whole:
            how = kind + (f" using {node['Index Name']}" if "Index Name" in node else "")
            yield FullScan(str(table), how + (f", filter {node['Filter']}" if "Filter" in node else ""), statement.sql)


def full_scans(connection: Connection, statements: Iterable[Statement], tables: Iterable[str]) -> list[FullScan]:
    """The statements (of `connection`'s dialect) that would read the whole of one of `tables`."""
    names = set(tables)
    dialect = connection.dialect.name
    found: list[FullScan] = []
    partial = _partial_indexes(connection)
    if dialect == "postgresql":
        connection.exec_driver_sql("SET enable_seqscan = off")
    try:
        for statement in statements:
            if statement.dialect != dialect:
                continue
            if dialect == "sqlite":
                found += _sqlite_scans(connection, statement, names, partial)
            else:
                found += _postgres_scans(connection, statement, names, partial)
    finally:
        if dialect == "postgresql":
            connection.exec_driver_sql("RESET enable_seqscan")
    return found

"""Probe: run the query the application would run on every mapped table, returning no rows.

It proves what the comparison infers: a column the database lacks, a table it lacks, or a
table the connecting role may not read, each with the database's own error message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from schemadoctor.load import LoadedModels

logger = logging.getLogger(__name__)

_PERMISSION_WORDS = ("permission denied", "command denied", "access denied", "not authorized")
_MISSING_WORDS = ("does not exist", "doesn't exist", "no such", "unknown column", "unknown table")


@dataclass(frozen=True)
class ProbeResult:
    """One table's probe: the query, and the database's error when it refused it."""

    schema: str | None
    table: str
    sql: str
    ok: bool
    problem: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "schema": self.schema,
            "table": self.table,
            "ok": self.ok,
            "problem": self.problem,
            "error": self.error,
            "sql": self.sql,
        }


def classify_error(message: str) -> str:
    """permission_denied, missing_object or query_failed, from the database's message."""
    lowered = message.lower()
    if any(word in lowered for word in _PERMISSION_WORDS):
        return "permission_denied"
    if any(word in lowered for word in _MISSING_WORDS):
        return "missing_object"
    return "query_failed"


def probe_tables(
    connection: Connection,
    models: LoadedModels,
    schema: str | None,
    default_schema: str | None,
    include: Any = None,
    explicit_too: bool = True,
) -> list[ProbeResult]:
    """Select every model column of every mapped table with a condition that returns no rows.

    Each query runs in a savepoint of the caller's read-only transaction, so one failure
    (which aborts a PostgreSQL transaction) does not spoil the next.
    """
    translate = {None: schema} if schema and schema != default_schema else None
    runner = connection
    if translate:
        runner = connection.execution_options(schema_translate_map=translate)
    results: list[ProbeResult] = []
    for table in models.tables:
        if table.schema and not explicit_too:
            continue
        table_schema = table.schema or schema or default_schema
        if include is not None and not include(table_schema, table.name):
            continue
        query = select(*table.columns).where(false())
        sql = " ".join(str(query.compile(dialect=connection.dialect)).split())
        results.append(_probe_one(runner, query, table_schema, table.name, sql))
    return results


def _probe_one(
    connection: Connection, query: Any, schema: str | None, table: str, sql: str
) -> ProbeResult:
    savepoint = connection.begin_nested()
    try:
        connection.execute(query).fetchall()
    except DBAPIError as error:
        savepoint.rollback()
        message = database_message(error)
        logger.info("Probe of %s failed: %s", table, message)
        return ProbeResult(schema, table, sql, False, classify_error(message), message)
    savepoint.rollback()
    return ProbeResult(schema, table, sql, True)


def database_message(error: BaseException) -> str:
    """The database's own message, first line, without the driver's wrapping."""
    original = getattr(error, "orig", None) or error
    args: tuple[Any, ...] = tuple(getattr(original, "args", ()))
    # PyMySQL carries (code, message); show the message as the server wrote it.
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        text = f"({args[0]}) {args[1]}"
    else:
        text = str(original)
    stripped = text.strip()
    return " ".join(stripped.splitlines()[0].split()) if stripped else type(original).__name__


def probe_targets(
    connection: Connection,
    models: LoadedModels,
    db_shape: Any,
    targets: list[str],
    options: Any,
) -> list[ProbeResult]:
    """Probe the mapped tables in every target schema (tables with their own schema once)."""
    from schemadoctor.compare import is_excluded

    results: list[ProbeResult] = []
    for position, target in enumerate(targets or [db_shape.default_schema]):
        results.extend(
            probe_tables(
                connection,
                models,
                target,
                db_shape.default_schema,
                include=lambda schema, table: not is_excluded(schema, table, options),
                explicit_too=position == 0,
            )
        )
    return results

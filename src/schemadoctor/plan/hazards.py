"""Cheap read-only questions to the data that decide whether a statement can run."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, exists, func, literal, not_, select, text
from sqlalchemy import column as column_clause
from sqlalchemy import table as table_clause
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.expression import TableClause

logger = logging.getLogger(__name__)

# A PostgreSQL table this big makes a plain CREATE INDEX block writes for a noticeable time.
BIG_TABLE_ROWS = 100_000


def lightweight_table(name: str, schema: str | None, columns: Sequence[str] = ()) -> TableClause:
    """A table clause for queries: the dialect quotes every name."""
    return table_clause(name, *(column_clause(c) for c in columns), schema=schema)


def guarded(connection: Connection) -> contextlib.AbstractContextManager[Any]:
    """A savepoint when a transaction is open, so a failed query leaves it usable."""
    autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    if connection.in_transaction() and not autocommit:
        return connection.begin_nested()
    return contextlib.nullcontext()


def _scalar(connection: Connection, statement: object) -> int | None:
    """Run one query; a failure is logged and answers None."""
    try:
        with guarded(connection):
            value = connection.execute(statement).scalar()  # type: ignore[call-overload]
    except SQLAlchemyError as error:
        logger.info("A hazard check failed and was left out: %s", error)
        return None
    return int(value or 0)


def has_rows(connection: Connection, table: TableClause) -> bool | None:
    """Whether the table holds at least one row; None when that could not be read."""
    value = _scalar(connection, select(literal(1)).select_from(table).limit(1))
    return None if value is None else value > 0


def count_rows(connection: Connection, table: TableClause) -> int | None:
    """The number of rows in the table."""
    return _scalar(connection, select(func.count()).select_from(table))


def count_nulls(connection: Connection, table: TableClause, column: str) -> int | None:
    """How many rows hold NULL in the column."""
    statement = select(func.count()).select_from(table).where(table.c[column].is_(None))
    return _scalar(connection, statement)


def count_longer(
    connection: Connection, table: TableClause, column: str, length: int
) -> int | None:
    """How many values of the column are longer than ``length`` characters."""
    measure = func.char_length if connection.dialect.name != "sqlite" else func.length
    statement = select(func.count()).select_from(table).where(measure(table.c[column]) > length)
    return _scalar(connection, statement)


def count_duplicates(
    connection: Connection, table: TableClause, columns: Sequence[str]
) -> int | None:
    """How many distinct value combinations occur more than once (NULLs never collide)."""
    keys = [table.c[name] for name in columns]
    groups = (
        select(*keys)
        .where(and_(*(key.is_not(None) for key in keys)))
        .group_by(*keys)
        .having(func.count() > 1)
        .subquery()
    )
    return _scalar(connection, select(func.count()).select_from(groups))


def count_orphans(
    connection: Connection,
    child: TableClause,
    columns: Sequence[str],
    parent: TableClause,
    parent_columns: Sequence[str],
) -> int | None:
    """Rows whose foreign key values match no row of the referred table."""
    child_alias = child.alias("child")
    parent_alias = parent.alias("parent")
    match = and_(
        *(
            parent_alias.c[remote] == child_alias.c[local]
            for local, remote in zip(columns, parent_columns, strict=True)
        )
    )
    statement = (
        select(func.count())
        .select_from(child_alias)
        .where(and_(*(child_alias.c[name].is_not(None) for name in columns)))
        .where(not_(exists().where(match)))
    )
    return _scalar(connection, statement)


def count_filled(connection: Connection, table: TableClause, columns: Sequence[str]) -> int | None:
    """Rows where every one of the columns is set."""
    statement = (
        select(func.count())
        .select_from(table)
        .where(and_(*(table.c[name].is_not(None) for name in columns)))
    )
    return _scalar(connection, statement)


def estimated_rows(connection: Connection, qualified_name: str) -> int | None:
    """PostgreSQL's row estimate for a table; about 100 bytes a row when never analyzed."""
    query = text(
        "SELECT greatest(c.reltuples, pg_relation_size(c.oid) / 100) "
        "FROM pg_class c WHERE c.oid = to_regclass(:name)"
    )
    return _scalar(connection, query.bindparams(name=qualified_name))

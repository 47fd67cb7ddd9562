"""Reflection costs a fixed number of queries, whatever the number of tables and schemas."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from schemadoctor.connect import open_database
from schemadoctor.reflect import default_schema_of, reflect_connection, reflect_database


def _table_ddl(dialect: str, schema: str, number: int) -> list[str]:
    """A table with a key, a foreign key to the previous table, a unique and an index."""
    quote = "`" if dialect == "mysql" else '"'
    table = f"{quote}{schema}{quote}.t{number}"
    # SQLite's REFERENCES names a table of the same database, never schema-qualified.
    previous = f"t{number - 1}" if dialect == "sqlite" else f"{quote}{schema}{quote}.t{number - 1}"
    serial = {"postgresql": "serial", "mysql": "INTEGER AUTO_INCREMENT", "sqlite": "INTEGER"}
    reference = f", FOREIGN KEY (parent) REFERENCES {previous} (id)" if number else ""
    index = f"ix_t{number}_name"
    index_target = f"{quote}{schema}{quote}.{index} ON t{number}"
    if dialect != "sqlite":
        index_target = f"{index} ON {table}"
    return [
        f"CREATE TABLE {table} (id {serial[dialect]} PRIMARY KEY, parent INTEGER, "
        f"name VARCHAR(40) NOT NULL DEFAULT 'x', code CHAR(3) UNIQUE{reference})",
        f"CREATE INDEX {index_target} (name, parent)",
    ]


def _create_tables(engine: Engine, schema: str, count: int) -> None:
    statements = [
        ddl for number in range(count) for ddl in _table_ddl(engine.dialect.name, schema, number)
    ]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(";\n".join(statements))
        else:
            for statement in statements:
                connection.exec_driver_sql(statement)


@contextmanager
def _counting(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


def _queries(engine: Engine, schemas: list[str]) -> tuple[int, int]:
    """How many statements one reflection runs, and how many tables it found."""
    with engine.connect() as connection:
        default_schema = default_schema_of(connection) or schemas[0]
        with _counting(connection) as statements:
            shape = reflect_connection(connection, schemas, default_schema)
    return len(statements), len(shape.tables)


def _schema_of(engine: Engine) -> str:
    return {"postgresql": "public", "sqlite": "main"}.get(
        engine.dialect.name, engine.url.database or ""
    )


def test_queries_do_not_grow_with_tables(db_url, writable_engine):
    engine = writable_engine(db_url)
    schema = _schema_of(engine)

    _create_tables(engine, schema, 10)
    small, small_tables = _queries(engine, [schema])
    with engine.begin() as connection:
        names = [f"t{number}" for number in range(10)]
        for name in reversed(names):
            connection.exec_driver_sql(f"DROP TABLE {name}")
    _create_tables(engine, schema, 200)
    large, large_tables = _queries(engine, [schema])

    assert (small_tables, large_tables) == (10, 200)
    assert small == large
    assert small <= 6


@pytest.mark.postgresql
def test_postgresql_queries_do_not_grow_with_schemas(postgresql_url, writable_engine):
    engine = writable_engine(postgresql_url)
    tenants = [f"tenant_{number:03d}" for number in range(30)]
    with engine.begin() as connection:
        connection.exec_driver_sql(";".join(f"CREATE SCHEMA {name}" for name in tenants))
    for name in tenants:
        _create_tables(engine, name, 3)

    one, one_tables = _queries(engine, tenants[:1])
    many, many_tables = _queries(engine, tenants)

    assert (one_tables, many_tables) == (3, 90)
    assert one == many


def _queries_on_every_connection(url: str) -> tuple[int, int]:
    """Statements one reflection of the whole database runs on all the connections it opens
    (MariaDB's reader reads the keys on a second one), and the tables it found."""
    database = open_database(url)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        shape = reflect_database(database)
    finally:
        database.dispose()
    return len(statements), len(shape.tables)


def test_queries_on_every_connection_do_not_grow_with_tables(db_url, writable_engine):
    engine = writable_engine(db_url)
    schema = _schema_of(engine)

    _create_tables(engine, schema, 10)
    small, small_tables = _queries_on_every_connection(db_url)
    _create_tables_from(engine, schema, 10, 200)
    large, large_tables = _queries_on_every_connection(db_url)

    assert (small_tables, large_tables) == (10, 200)
    assert small == large


def _create_tables_from(engine: Engine, schema: str, start: int, stop: int) -> None:
    statements = [
        ddl
        for number in range(start, stop)
        for ddl in _table_ddl(engine.dialect.name, schema, number)
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)

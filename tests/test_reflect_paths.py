"""Where a reader has a fast way and a general way to the same catalog facts, both agree.

MariaDB: foreign keys from InnoDB's dictionary or from information_schema; rows aggregated into
JSON by the server or fetched one by one; keys read on a second connection or on the same one.
SQLite: rows as one JSON array or row by row. Each pair reflects the same real database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from schemadoctor.connect import open_database
from schemadoctor.errors import DatabaseUnreachableError
from schemadoctor.reflect import mysql as mysql_reader
from schemadoctor.reflect import reflect_connection
from schemadoctor.reflect import sqlite as sqlite_reader
from schemadoctor.schema import SchemaShape

_ACTIONS = [
    {},
    {"ondelete": "CASCADE"},
    {"ondelete": "SET NULL", "onupdate": "CASCADE"},
    {"ondelete": "RESTRICT", "onupdate": "SET NULL"},
    {"ondelete": "NO ACTION", "onupdate": "NO ACTION"},
]


def _metadata(dialect: str, other_schema: str | None = None) -> sa.MetaData:
    """Tables with keys, indexes, uniques and foreign keys of every action."""
    metadata = sa.MetaData()
    sa.Table(
        "parent",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("label", sa.String(40), server_default="it's"),
        sa.Column("body", sa.JSON),
        sa.UniqueConstraint("id", "code", name="uq_parent_id_code"),
        sa.Index("ix_parent_label", "label"),
    )
    for number, actions in enumerate(_ACTIONS):
        sa.Table(
            f"child_{number}",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("parent_id", sa.Integer),
            sa.Column("parent_code", sa.String(10)),
            sa.Column("amount", sa.Numeric(10, 2), server_default="0"),
            sa.Column("kind", mysql.ENUM("a", "b") if dialect == "mysql" else sa.String(1)),
            sa.ForeignKeyConstraint(["parent_id"], ["parent.id"], **actions),
            sa.ForeignKeyConstraint(
                ["parent_id", "parent_code"],
                ["parent.id", "parent.code"],
                name=f"fk_child_{number}_pair",
                **actions,
            ),
            sa.Index(f"ix_child_{number}_pair", "parent_code", "amount", unique=True),
        )
    if other_schema:
        sa.Table(
            "outside_child",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("elsewhere_id", sa.Integer, sa.ForeignKey(f"{other_schema}.elsewhere.id")),
        )
        sa.Table("elsewhere", metadata, sa.Column("id", sa.Integer, primary_key=True),
                 schema=other_schema)  # fmt: skip
    return metadata


def _reflect(url: str, schemas: list[str], with_database: bool = True) -> SchemaShape:
    database = open_database(url)
    try:
        with database.connect() as connection:
            return reflect_connection(
                connection, schemas, schemas[0], database if with_database else None
            )
    finally:
        database.dispose()


@pytest.fixture
def mariadb_schema(mysql_url, second_mysql_database, writable_engine):
    """A MariaDB database with the tables above, and a second one they refer into."""
    engine = writable_engine(mysql_url)
    _metadata("mysql", second_mysql_database).create_all(engine)
    return mysql_url, engine.url.database or "", second_mysql_database


@pytest.mark.mysql
def test_innodb_foreign_keys_equal_information_schema(mariadb_schema, writable_engine):
    url, schema, other = mariadb_schema
    with writable_engine(url).connect() as connection:
        if not getattr(connection.dialect, "is_mariadb", False):
            pytest.skip("InnoDB's dictionary tables are read on MariaDB only")
        tables = {(schema, name) for name in sa.inspect(connection).get_table_names()}
        from_dictionary = mysql_reader._read_innodb_foreign_keys(connection, [schema], tables)
        from_information_schema = mysql_reader._read_foreign_keys(connection, [schema])

    assert from_dictionary is not None
    assert {key: sorted(keys, key=repr) for key, keys in from_dictionary.items()} == {
        key: sorted(keys, key=repr) for key, keys in from_information_schema.items()
    }
    rules = {(fk.ondelete, fk.onupdate) for keys in from_dictionary.values() for fk in keys}
    assert rules == {(None, None), ("CASCADE", None), ("SET NULL", "CASCADE"), (None, "SET NULL")}
    outside = from_dictionary[(schema, "outside_child")][0]
    assert (outside.referred_schema, outside.referred_table) == (other, "elsewhere")
    assert len(from_dictionary[(schema, "child_1")]) == 2


@pytest.mark.mysql
def test_aggregated_rows_and_a_second_connection_change_nothing(mariadb_schema, monkeypatch):
    url, schema, other = mariadb_schema
    fast = _reflect(url, [schema, other])

    monkeypatch.setattr(mysql_reader, "_aggregates", lambda connection: False)
    monkeypatch.setattr(mysql_reader, "_read_innodb_foreign_keys", lambda *arguments: None)
    plain = _reflect(url, [schema, other], with_database=False)

    assert len(fast.tables) == len(_ACTIONS) + 3
    assert fast.tables == plain.tables


@pytest.mark.mysql
def test_a_foreign_key_named_outside_plain_letters_falls_back(mysql_url, writable_engine):
    engine = writable_engine(mysql_url)
    schema = engine.url.database or ""
    metadata = sa.MetaData()
    sa.Table("naïve parent", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "child",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pid", sa.Integer, sa.ForeignKey("naïve parent.id", ondelete="CASCADE")),
    )
    metadata.create_all(engine)
    with engine.connect() as connection:
        tables = {(schema, "naïve parent"), (schema, "child")}
        # The dictionary spells the table in its file-name encoding: the reader says it cannot.
        assert mysql_reader._read_innodb_foreign_keys(connection, [schema], tables) is None

    (foreign_key,) = _reflect(mysql_url, [schema]).tables[(schema, "child")].foreign_keys
    assert (foreign_key.referred_table, foreign_key.ondelete) == ("naïve parent", "CASCADE")


def test_sqlite_json_rows_equal_rows_one_by_one(sqlite_url, writable_engine, monkeypatch):
    engine = writable_engine(sqlite_url)
    _metadata("sqlite").create_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            'CREATE TABLE "quoted ""odd"" name" (id INTEGER PRIMARY KEY, '
            "total INTEGER GENERATED ALWAYS AS (id * 2) VIRTUAL, note TEXT DEFAULT 'l''été')"
        )
        connection.exec_driver_sql("CREATE INDEX ix_lower ON parent (lower(label)) WHERE id > 1")

    as_json = _reflect(sqlite_url, ["main"])
    monkeypatch.setattr(sqlite_reader, "JSON_ROWS", False)
    one_by_one = _reflect(sqlite_url, ["main"])

    assert len(as_json.tables) == len(_ACTIONS) + 2
    assert as_json.tables == one_by_one.tables


@pytest.mark.mysql
def test_no_second_connection_reads_everything_on_the_first(mariadb_schema):
    url, schema, other = mariadb_schema
    database = open_database(url)
    opened: list[str] = []

    @contextlib.contextmanager
    def refused() -> Iterator[sa.Connection]:
        opened.append("refused")
        raise DatabaseUnreachableError("Too many connections.")
        yield  # pragma: no cover

    try:
        with database.connect() as connection:
            alone = mysql_reader.reflect_schemas(connection, [schema, other], schema, refused)
    finally:
        database.dispose()

    assert opened == ["refused"]
    assert alone.tables == _reflect(url, [schema, other]).tables


def test_sqlite_constraint_names_read_from_hand_written_statements(sqlite_url, writable_engine):
    engine = writable_engine(sqlite_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE target (id INTEGER PRIMARY KEY)")
        # Lower case keywords, a column whose name starts with the keyword, a name that
        # upper-cases longer (ß -> SS), quoted names: each constraint keeps its own name.
        connection.exec_driver_sql(
            'CREATE TABLE "straße" (id INTEGER PRIMARY KEY, constraint_code TEXT, '
            "target_id INTEGER, note TEXT DEFAULT 'no constraint here', "
            'constraint "uq Straße" unique (constraint_code), '
            "Constraint fk_target Foreign Key (target_id) references target (id))"
        )
        connection.exec_driver_sql(
            "CREATE TABLE plain (id INTEGER PRIMARY KEY, a TEXT, b INTEGER REFERENCES target, "
            "xconstraint TEXT, CONSTRAINT [uq a] UNIQUE (a), UNIQUE (xconstraint))"
        )

    shape = _reflect(sqlite_url, ["main"])

    odd = shape.tables[("main", "straße")]
    assert [(unique.name, unique.columns) for unique in odd.uniques] == [
        ("uq Straße", ("constraint_code",))
    ]
    assert [(key.name, key.columns, key.referred_table) for key in odd.foreign_keys] == [
        ("fk_target", ("target_id",), "target")
    ]
    plain = shape.tables[("main", "plain")]
    assert sorted((unique.name or "", unique.columns) for unique in plain.uniques) == [
        ("", ("xconstraint",)),
        ("uq a", ("a",)),
    ]
    assert [(key.name, key.referred_columns) for key in plain.foreign_keys] == [(None, ("id",))]

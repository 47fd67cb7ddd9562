"""Each dialect's catalog reader against the reference reader (SQLAlchemy's Inspector).

Both readers reflect the same real database; their shapes must agree fact by fact once type text
is parsed (``VARCHAR(50)`` and ``character varying(50)`` are one type) and defaults are
normalised. Where the catalog reader knowingly reads more than the Inspector can, the test pins
exactly those facts, so any other difference fails.
"""

from __future__ import annotations

import enum
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Connection, Engine

from corpus_support import CORPUS, sakila_statements
from schemadoctor.compare.defaults import normalize_default
from schemadoctor.compare.types import parse_type
from schemadoctor.reflect import inspector
from schemadoctor.reflect import mysql as mysql_reader
from schemadoctor.reflect import postgresql as postgresql_reader
from schemadoctor.reflect import sqlite as sqlite_reader
from schemadoctor.schema import SchemaShape

# A copy of the shared corpus DDL lives in tests/data/corpus, so that a fresh clone runs these.

Fact = tuple[Any, ...]
READERS: dict[str, Callable[..., SchemaShape]] = {
    "sqlite": sqlite_reader.reflect_schemas,
    "postgresql": postgresql_reader.reflect_schemas,
    "mysql": mysql_reader.reflect_schemas,
}


class Mood(enum.Enum):
    calm = "calm"
    cross = "it's cross"


def _sql(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split())


def _facts(shape: SchemaShape) -> set[Fact]:
    """Every comparable fact of a shape, with types parsed and defaults normalised."""
    dialect = shape.dialect
    facts: set[Fact] = set()
    for (schema, name), enum_shape in shape.enums.items():
        facts.add(("enum type", schema, name, enum_shape.labels))
    for (schema, table_name), table in shape.tables.items():
        where = (schema, table_name)
        facts.add(("primary key", *where, table.primary_key))
        for position, column in enumerate(table.columns):
            signature = parse_type(dialect, column.type)
            at = (*where, column.name)
            facts.add(("column", *where, position, column.name))
            facts.add(("type", *at, signature))
            facts.add(("nullable", *at, column.nullable))
            facts.add(("default", *at, normalize_default(column.default, signature)))
            facts.add(("autoincrement", *at, column.autoincrement))
            facts.add(("computed", *at, _sql(column.computed)))
            facts.add(("enum", *at, column.enum_name, column.enum_schema, column.enum_labels))
        for index in table.indexes:
            facts.add(
                (
                    "index",
                    *where,
                    index.name,
                    index.columns,
                    index.unique,
                    tuple(_sql(expression) for expression in index.expressions),
                    index.descending,
                    _sql(index.where),
                )
            )
        for unique in table.uniques:
            facts.add(("unique", *where, unique.name, unique.columns))
        for fk in table.foreign_keys:
            facts.add(
                (
                    "foreign key",
                    *where,
                    fk.name,
                    fk.columns,
                    fk.referred_schema,
                    fk.referred_table,
                    fk.referred_columns,
                    fk.ondelete,
                    fk.onupdate,
                )
            )
    return facts


def _reflect_both(
    connection: Connection, schemas: list[str], default_schema: str
) -> tuple[set[Fact], set[Fact]]:
    catalog = READERS[connection.dialect.name](connection, schemas, default_schema)
    with warnings.catch_warnings():
        # The Inspector warns about what it cannot read (expression indexes, unknown types).
        warnings.simplefilter("ignore")
        inspected = inspector.reflect_schemas(connection, schemas, default_schema)
    assert sorted(catalog.tables) == sorted(inspected.tables)
    return _facts(catalog), _facts(inspected)


def _assert_same(
    catalog: set[Fact],
    inspected: set[Fact],
    catalog_only: set[Fact] | None = None,
    inspector_only: set[Fact] | None = None,
) -> None:
    assert catalog - inspected == (catalog_only or set())
    assert inspected - catalog == (inspector_only or set())


# --- the rich schema, built by the models' own create_all -----------------------------------


def _rich_metadata(dialect: str, schema: str | None = None) -> sa.MetaData:
    metadata = sa.MetaData(schema=schema)
    sa.Table(
        "generic",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("big", sa.BigInteger, nullable=False, server_default="7"),
        sa.Column("small", sa.SmallInteger),
        sa.Column("flag", sa.Boolean, server_default=sa.true()),
        sa.Column("name", sa.String(50), nullable=False, server_default="it's"),
        sa.Column("uname", sa.Unicode(40)),
        sa.Column("body", sa.Text),
        sa.Column("price", sa.Numeric(12, 2), server_default="0"),
        sa.Column("ratio", sa.Float),
        sa.Column("dbl", sa.Double),
        sa.Column("real", sa.REAL),
        sa.Column("day", sa.Date),
        sa.Column("moment", sa.Time),
        sa.Column("created", sa.DateTime, server_default=sa.func.now()),
        sa.Column("created_tz", sa.DateTime(timezone=True)),
        sa.Column("span", sa.Interval),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("doc", sa.JSON),
        sa.Column("uid", sa.Uuid),
        sa.Column("mood", sa.Enum(Mood, name="mood")),
        sa.Column("code", sa.CHAR(3)),
        sa.Column("twice", sa.Integer, sa.Computed("big * 2", persisted=True)),
        sa.Index("ix_generic_name_day", "name", "day"),
        sa.Index("ix_generic_desc", sa.column("small").desc(), "code"),
        sa.UniqueConstraint("code", "small", name="uq_generic_code_small"),
    )
    sa.Table(
        "parent",
        metadata,
        sa.Column("a", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("b", sa.String(10), primary_key=True),
        sa.Column("label", sa.String(30), unique=True),
    )
    sa.Table(
        'Odd "Name" tbl',
        metadata,
        sa.Column("Id", sa.Integer, primary_key=True),
        sa.Column("naïve col", sa.String(20), server_default="l'été"),
        sa.Column("MixedCase", sa.Integer, index=True),
        sa.Column("pa", sa.Integer),
        sa.Column("pb", sa.String(10)),
        sa.Column("g", sa.Integer, sa.ForeignKey("generic.id", ondelete="CASCADE")),
        sa.ForeignKeyConstraint(
            ["pa", "pb"],
            ["parent.a", "parent.b"],
            name="fk odd parent",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        sa.Index("ix odd 'quoted'", "pb", "pa", unique=True),
    )
    if dialect == "postgresql":
        _postgresql_tables(metadata)
    elif dialect == "mysql":
        _mysql_tables(metadata)
    return metadata


def _postgresql_tables(metadata: sa.MetaData) -> None:
    lower_name = sa.Column("lower_name", sa.String(20))
    sa.Table(
        "pg_types",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("serial", sa.Integer, autoincrement=True, unique=True),
        sa.Column("jb", postgresql.JSONB, server_default=sa.text("'{}'::jsonb")),
        sa.Column("ints", postgresql.ARRAY(sa.Integer)),
        sa.Column("names", postgresql.ARRAY(sa.String(20))),
        sa.Column("ip", postgresql.INET),
        sa.Column("net", postgresql.CIDR),
        sa.Column("stamp", postgresql.TIMESTAMP(timezone=True, precision=3)),
        sa.Column("state", postgresql.ENUM("new", "old", name="State")),
        sa.Column("cash", postgresql.MONEY),
        sa.Column("mac", postgresql.MACADDR),
        sa.Column("words", postgresql.TSVECTOR),
        sa.Column("bits", postgresql.BIT(4)),
        sa.Column("tag", sa.String(20), server_default=sa.text("'a''b'::character varying")),
        lower_name,
        sa.Index("ix_pg_lower", sa.func.lower(lower_name)),
        sa.Index("ix_pg_partial", "tag", postgresql_where=sa.text("id > 5")),
        sa.Index("ix_pg_mixed", "tag", sa.func.upper(lower_name).desc(), unique=True),
        sa.Index("ix_pg_cover", "tag", postgresql_include=["cash"]),
    )


def _mysql_tables(metadata: sa.MetaData) -> None:
    sa.Table(
        "my_types",
        metadata,
        sa.Column("id", mysql.INTEGER(unsigned=True), primary_key=True),
        sa.Column("tiny", mysql.TINYINT(1)),
        sa.Column("fine", mysql.DATETIME(fsp=6)),
        sa.Column("huge", mysql.BIGINT(unsigned=True)),
        sa.Column("kind", mysql.ENUM("a", "b", "it's")),
        sa.Column("flags", mysql.SET("x", "y")),
        sa.Column("stamp", mysql.TIMESTAMP, server_default=sa.func.current_timestamp()),
        sa.Column(
            "touched",
            mysql.TIMESTAMP,
            server_default=sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
        ),
        sa.Column("medium", mysql.MEDIUMTEXT),
        sa.Column("year", mysql.YEAR),
        sa.Column("amount", mysql.DECIMAL(10, 3), server_default="0"),
        sa.Column("ratio", sa.Float, server_default="1.5"),
        sa.Column("nothing", sa.String(10), server_default="NULL"),
        sa.Column("raw", mysql.VARBINARY(16)),
        sa.Column("title", sa.String(200)),
        sa.Index("ix_my_prefix", "title", mysql_length=10),
        sa.Index("ix_my_fulltext", "title", mysql_prefix="FULLTEXT"),
    )


def _mixed_index_facts(dialect: str, schema: str) -> tuple[set[Fact], set[Fact]]:
    """Index facts the Inspector cannot read: DESC keys (SQLite, MariaDB)."""
    where = (schema, "generic")
    name = "ix_generic_desc"
    catalog = {("index", *where, name, ("small", "code"), False, (), (True, False), None)}
    inspected = {("index", *where, name, ("small", "code"), False, (), (), None)}
    return catalog, inspected


def _create(engine: Engine, metadata: sa.MetaData) -> None:
    with engine.begin() as connection:
        metadata.create_all(connection)


@pytest.mark.postgresql
def test_postgresql_rich_schemas(postgresql_url, writable_engine):
    engine = writable_engine(postgresql_url)
    with engine.begin() as connection:
        connection.exec_driver_sql('CREATE SCHEMA "Tenant Two"')
        connection.exec_driver_sql("CREATE DOMAIN positive AS integer DEFAULT 1 NOT NULL")
    _create(engine, _rich_metadata("postgresql"))
    _create(engine, _rich_metadata("sqlite", schema="Tenant Two"))
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE generic ADD COLUMN amount positive")
        connection.exec_driver_sql(
            'CREATE TABLE "Tenant Two".events (id serial, at date NOT NULL, '
            "g integer REFERENCES generic (id) ON DELETE RESTRICT, "
            "PRIMARY KEY (id, at)) PARTITION BY RANGE (at)"
        )
        connection.exec_driver_sql(
            'CREATE TABLE "Tenant Two".events_2026 PARTITION OF "Tenant Two".events '
            "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
        )
        connection.exec_driver_sql("CREATE VIEW generic_names AS SELECT name FROM generic")

    with engine.connect() as connection:
        catalog, inspected = _reflect_both(connection, ["public", "Tenant Two"], "public")
        tenant_only = postgresql_reader.reflect_schemas(connection, ["Tenant Two"], "public")

    # A foreign key into a schema that is not reflected still names its referred columns.
    events_fk = tenant_only.tables[("Tenant Two", "events")].foreign_keys[0]
    assert (events_fk.referred_schema, events_fk.referred_table) == ("public", "generic")
    assert events_fk.referred_columns == ("id",)

    # A domain column: the catalog reader reports the base type, the Inspector the domain's name.
    amount = ("public", "generic", "amount")
    catalog_only = {("type", *amount, parse_type("postgresql", "integer"))}
    inspector_only = {("type", *amount, parse_type("postgresql", "positive"))}
    # The Inspector drops DESC on an expression key.
    mixed = (
        "index",
        "public",
        "pg_types",
        "ix_pg_mixed",
        ("tag", None),
        True,
        ("upper(lower_name::text)",),
    )
    catalog_only.add((*mixed, (False, True), None))
    inspector_only.add((*mixed, (), None))
    # A foreign key into a schema on the search path: the Inspector names the referring schema.
    for table in ("events", "events_2026"):
        fk = ("foreign key", "Tenant Two", table, "events_g_fkey", ("g",))
        catalog_only.add((*fk, "public", "generic", ("id",), "RESTRICT", None))
        inspector_only.add((*fk, "Tenant Two", "generic", ("id",), "RESTRICT", None))
    _assert_same(catalog, inspected, catalog_only, inspector_only)
    assert ("nullable", *amount, False) in catalog
    assert ("default", *amount, "1") in catalog
    assert ("enum", "public", "pg_types", "state", "State", "public", ("new", "old")) in catalog
    assert any(
        fact[:4] == ("foreign key", "Tenant Two", "events_2026", "events_g_fkey")
        for fact in catalog
    )


@pytest.mark.mysql
def test_mysql_rich_schemas(mysql_url, second_mysql_database, writable_engine):
    engine = writable_engine(mysql_url)
    schema = engine.url.database or ""
    second = second_mysql_database
    _create(engine, _rich_metadata("mysql"))
    _create(engine, _rich_metadata("sqlite", schema=second))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE VIEW generic_names AS SELECT name FROM generic")

    with engine.connect() as connection:
        catalog, inspected = _reflect_both(connection, [schema, second], schema)

    first_catalog, first_inspected = _mixed_index_facts("mysql", schema)
    second_catalog, second_inspected = _mixed_index_facts("mysql", second)
    _assert_same(
        catalog,
        inspected,
        catalog_only=first_catalog | second_catalog,
        inspector_only=first_inspected | second_inspected,
    )
    assert ("type", schema, "generic", "doc", parse_type("mysql", "JSON")) in catalog
    assert any(fact[0] == "default" and fact[3] == "touched" and fact[4] for fact in catalog)


def test_sqlite_rich_schemas(sqlite_url, writable_engine, tmp_path):
    engine = writable_engine(sqlite_url)
    other = tmp_path / f"other_{uuid.uuid4().hex[:6]}.db"
    with engine.connect() as connection:
        connection.exec_driver_sql(f"ATTACH DATABASE '{other}' AS other")
        connection.commit()
        _rich_metadata("sqlite").create_all(connection)
        _rich_metadata("sqlite", schema="other").create_all(connection)
        connection.exec_driver_sql("CREATE VIEW generic_names AS SELECT name FROM generic")
        connection.exec_driver_sql("CREATE INDEX ix_expr ON generic (lower(name), day DESC)")
        connection.exec_driver_sql("CREATE INDEX ix_partial ON generic (big) WHERE big > 5")
        # Not a rowid table: its INTEGER PRIMARY KEY is an ordinary column.
        connection.exec_driver_sql(
            "CREATE TABLE keyed (id INTEGER PRIMARY KEY, x TEXT) WITHOUT ROWID"
        )
        connection.commit()

        catalog, inspected = _reflect_both(connection, ["main", "other"], "main")

    catalog_only: set[Fact] = set()
    inspector_only: set[Fact] = set()
    for schema in ("main", "other"):
        index_catalog, index_inspected = _mixed_index_facts("sqlite", schema)
        catalog_only |= index_catalog
        inspector_only |= index_inspected
        # SQLite numbers an INTEGER PRIMARY KEY itself; SQLAlchemy's reflection does not say so.
        for table, column in (("generic", "id"), ('Odd "Name" tbl', "Id")):
            catalog_only.add(("autoincrement", schema, table, column, True))
            inspector_only.add(("autoincrement", schema, table, column, False))
    # The Inspector skips expression indexes on SQLite.
    catalog_only.add(
        (
            "index",
            "main",
            "generic",
            "ix_expr",
            (None, "day"),
            False,
            ("lower(name)",),
            (False, True),
            None,
        )
    )
    _assert_same(catalog, inspected, catalog_only, inspector_only)
    assert ("index", "main", "generic", "ix_partial", ("big",), False, (), (), "big > 5") in catalog


# --- the corpus: real-world schemas nobody on this project wrote ---------------------------


@pytest.mark.postgresql
def test_postgresql_pagila(postgresql_url, writable_engine):
    engine = writable_engine(postgresql_url)
    with engine.begin() as connection:
        connection.exec_driver_sql((CORPUS / "pagila-schema.sql").read_text())
    engine.dispose()

    with engine.connect() as connection:
        catalog, inspected = _reflect_both(connection, ["public"], "public")

    # Pagila's "year" domain over integer: film.release_year.
    release_year = ("public", "film", "release_year")
    _assert_same(
        catalog,
        inspected,
        catalog_only={("type", *release_year, parse_type("postgresql", "integer"))},
        inspector_only={("type", *release_year, parse_type("postgresql", "year"))},
    )
    assert ("public", "payment_p2022_01") in {fact[1:3] for fact in catalog}
    assert any(fact[:4] == ("enum", "public", "film", "rating") for fact in catalog)


@pytest.mark.mysql
def test_mysql_sakila(mysql_url, writable_engine):
    engine = writable_engine(mysql_url)
    schema = engine.url.database or ""
    with engine.begin() as connection:
        for statement in sakila_statements():
            connection.exec_driver_sql(statement.replace("%", "%%"))

    with engine.connect() as connection:
        catalog, inspected = _reflect_both(connection, [schema], schema)

    _assert_same(catalog, inspected)
    assert ("foreign key", schema, "payment") in {fact[:3] for fact in catalog}


def test_sqlite_chinook(sqlite_url, writable_engine):
    engine = writable_engine(sqlite_url)
    with engine.begin() as connection:
        connection.connection.driver_connection.executescript(  # type: ignore[union-attr]
            (CORPUS / "chinook-sqlite-schema.sql").read_text()
        )

    with engine.connect() as connection:
        catalog, inspected = _reflect_both(connection, ["main"], "main")

    # Chinook's INTEGER NOT NULL primary keys are rowid aliases.
    rowid_tables = {fact[1:4] for fact in catalog if fact[0] == "autoincrement" and fact[4] is True}
    _assert_same(
        catalog,
        inspected,
        catalog_only={("autoincrement", *where, True) for where in rowid_tables},
        inspector_only={("autoincrement", *where, False) for where in rowid_tables},
    )
    assert ("main", "Album", "AlbumId") in rowid_tables

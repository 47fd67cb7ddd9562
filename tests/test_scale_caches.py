"""The caches added for speed give the same answers as working each one out anew."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    Sequence,
    String,
    Table,
    false,
    func,
    null,
    text,
    true,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from schemadoctor import describe
from schemadoctor.compare import compare_schemas, sort_findings
from schemadoctor.findings import Finding, Kind
from schemadoctor.load import LoadedModels
from schemadoctor.schema import ColumnShape, SchemaShape, TableShape

# --- CompiledTexts: each distinct type and argument-less default is compiled once -----------


def _typed_columns(dialect: Dialect) -> list[Column[Any]]:
    """Columns whose types or defaults differ in one detail each, with the same class."""
    columns: list[Column[Any]] = [
        Column("string_10", String(10)),
        Column("string_20", String(20)),
        Column("string_10_collated", String(10, collation="C")),
        Column("string_10_variant", String(10).with_variant(String(30), "mysql")),
        Column("numeric_10_2", Numeric(10, 2)),
        Column("numeric_12_2", Numeric(12, 2)),
        Column("stamp_tz", DateTime(timezone=True), server_default=func.now()),
        Column("stamp", DateTime(), server_default=func.current_timestamp()),
        Column("stamp_schema", DateTime(), server_default=func.myschema.now()),
        Column("stamp_other_schema", DateTime(), server_default=func.other.now()),
        Column("mood", Enum("happy", "sad", name="mood")),
        Column("size", Enum("small", "medium", "large", name="size")),
        Column("zero", Integer, server_default=text("0")),
        Column("no", Integer, server_default=false()),
        Column("yes", Integer, server_default=true()),
        Column("nothing", Integer, server_default=null()),
    ]
    if dialect.name == "postgresql":
        columns += [
            Column("ints", postgresql.ARRAY(Integer)),
            Column("strings", postgresql.ARRAY(String(5))),
        ]
    return columns


def _uncached_default(column: Column[Any], dialect: Dialect) -> str:
    clause = column.server_default.arg  # type: ignore[union-attr]
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


DIALECTS = [sqlite.dialect(), postgresql.dialect(), mysql.dialect()]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_cached_type_and_default_texts_equal_compiling_each_column(dialect: Dialect) -> None:
    """Every column's type and default text is what compiling that column alone gives.

    The columns are rotated from table to table, so each text is first compiled for a
    different column and then served from the cache to its near twins.
    """
    metadata = MetaData()
    count = len(_typed_columns(dialect))
    for shift in range(count):
        columns = _typed_columns(dialect)
        Table(f"t{shift:02}", metadata, *columns[shift:], *columns[:shift])

    shape = describe.describe_models(LoadedModels([metadata], []), dialect, None)

    assert len(shape.tables) == count
    for table in metadata.tables.values():
        described = {column.name: column for column in shape.tables[(None, table.name)].columns}
        for column in table.columns:
            got = described[column.name]
            assert got.type == describe.compile_type(column.type, dialect), column.name
            if column.server_default is not None:
                assert got.default == _uncached_default(column, dialect), column.name
    # The near twins really are told apart (a shared text would make them equal).
    first = {column.name: column for column in shape.tables[(None, "t00")].columns}
    assert first["string_10"].type != first["string_20"].type
    assert first["numeric_10_2"].type != first["numeric_12_2"].type
    assert first["no"].default != first["yes"].default
    if dialect.name != "sqlite":
        # SQLite spells every now() CURRENT_TIMESTAMP, even a schema-qualified one.
        assert first["stamp_tz"].default != first["stamp_schema"].default
        assert first["stamp_schema"].default != first["stamp_other_schema"].default
    if dialect.name == "postgresql":
        assert first["stamp_tz"].type != first["stamp"].type
        assert first["ints"].type != first["strings"].type
    else:
        assert first["mood"].type != first["size"].type
    if dialect.name == "mysql":
        assert first["string_10"].type != first["string_10_variant"].type


def test_sequence_next_value_defaults_name_their_own_sequence() -> None:
    """Two columns numbered from different sequences keep their own nextval(...)."""
    dialect = postgresql.dialect()
    metadata = MetaData()
    for name in ("first", "second"):
        Table(
            name,
            metadata,
            Column("from_a", Integer, server_default=Sequence("a").next_value()),
            Column("from_b", Integer, server_default=Sequence("b").next_value()),
        )

    shape = describe.describe_models(LoadedModels([metadata], []), dialect, None)

    for table in metadata.tables.values():
        described = shape.tables[(None, table.name)].columns
        assert [column.default for column in described] == [
            _uncached_default(column, dialect) for column in table.columns
        ]
    assert [column.default for column in shape.tables[(None, "second")].columns] == [
        "nextval('a')",
        "nextval('b')",
    ]


class utcnow(FunctionElement[Any]):
    """A function element with a compiler of its own and no ``name`` attribute."""

    type = DateTime()
    inherit_cache = True


@compiles(utcnow)
def _compile_utcnow(element: utcnow, compiler: Any, **kw: Any) -> str:
    return "TIMEZONE('utc', CURRENT_TIMESTAMP)"


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_custom_function_element_default_is_compiled(dialect: Dialect) -> None:
    """A server default built on FunctionElement (SQLAlchemy's utcnow recipe) is described."""
    metadata = MetaData()
    Table("events", metadata, Column("at", DateTime, server_default=utcnow()))

    shape = describe.describe_models(LoadedModels([metadata], []), dialect, None)

    assert shape.tables[(None, "events")].columns[0].default == (
        "TIMEZONE('utc', CURRENT_TIMESTAMP)"
    )


# --- compare_columns: a column pair that gave no finding is judged once ---------------------

DIALECT = "postgresql"
SUBJECT = "subject"


def _column(type_: str, **facts: Any) -> ColumnShape:
    return ColumnShape(name=SUBJECT, type=type_, **facts)


# A pair with no finding: the model's column, the database's, whether the column is in the
# database's primary key, and whether both sides have the same primary key.
_Pair = tuple[ColumnShape, ColumnShape, bool, bool]

CLEAN: dict[str, _Pair] = {
    "plain": (_column("INTEGER", nullable=False), _column("integer", nullable=False), False, True),
    # The type of a computed column is not compared.
    "computed": (
        _column("VARCHAR(10)", nullable=False, computed="a + 1"),
        _column("integer", nullable=False, computed="a + 1"),
        False,
        True,
    ),
    # A primary key column's nullability is not compared.
    "key": (_column("INTEGER", nullable=True), _column("integer", nullable=False), True, True),
    "numbered": (
        _column("INTEGER", nullable=False, autoincrement=True),
        _column("integer", nullable=False, autoincrement=True),
        True,
        True,
    ),
    # Numbering lost with a changed primary key is reported as the changed key.
    "rekeyed": (
        _column("INTEGER", nullable=False, autoincrement=True),
        _column("integer", nullable=False),
        True,
        False,
    ),
    "generated": (
        _column("INTEGER", nullable=False, autoincrement=True),
        _column("integer", nullable=False, computed="a + 1"),
        False,
        True,
    ),
    "named_enum": (
        _column("mood", enum_name="mood", enum_schema="public", enum_labels=("a", "b")),
        _column("mood", enum_name="mood", enum_schema="public", enum_labels=("a", "b")),
        False,
        True,
    ),
    # An inline ENUM in the models against a named one: the labels are compared.
    "inline_enum": (
        _column("ENUM('a','b')"),
        _column("mood", enum_name="mood", enum_schema="public", enum_labels=("a", "b")),
        False,
        True,
    ),
    # A named type called "enum" against an inline ENUM: the types are related by labels.
    "enum_called_enum": (
        _column("enum", enum_name="enum", enum_schema="public", enum_labels=("a", "b")),
        _column("ENUM('a','b')"),
        False,
        True,
    ),
}


def _model(pair: _Pair, **facts: Any) -> _Pair:
    return (replace(pair[0], **facts), pair[1], pair[2], pair[3])


def _db(pair: _Pair, **facts: Any) -> _Pair:
    return (pair[0], replace(pair[1], **facts), pair[2], pair[3])


# Each drift differs from one clean pair in one fact of the pair key, and gives a finding.
DRIFTS: dict[str, _Pair] = {
    "model_type": _model(CLEAN["plain"], type="VARCHAR(10)"),
    "model_nullable": _model(CLEAN["plain"], nullable=True),
    "model_default": _model(CLEAN["plain"], default="0"),
    "model_autoincrement": _model(CLEAN["plain"], autoincrement=True),
    "model_computed": _model(CLEAN["computed"], computed=None),
    "model_enum_name": _model(CLEAN["named_enum"], enum_name="feeling"),
    "model_enum_labels": _model(CLEAN["enum_called_enum"], enum_labels=("a", "c")),
    "db_type": _db(CLEAN["plain"], type="text"),
    "db_nullable": _db(CLEAN["plain"], nullable=True),
    "db_default": _db(CLEAN["plain"], default="5"),
    "db_autoincrement": _db(CLEAN["numbered"], autoincrement=False),
    "db_computed": _db(CLEAN["generated"], computed=None),
    "db_enum_name": _db(CLEAN["named_enum"], enum_name="feeling"),
    "db_enum_labels": _db(CLEAN["inline_enum"], enum_labels=("a", "c")),
    "in_primary_key": (*CLEAN["key"][:2], False, True),
    "same_primary_key": (*CLEAN["rekeyed"][:3], True),
}


@pytest.mark.parametrize("side", [_model, _db])
def test_enum_schema_alone_gives_no_column_finding(side: Callable[..., _Pair]) -> None:
    """The pair key's enum schemas have no drift case above: columns never compare them.

    (compare_enums compares the types themselves.) When this fails, add a drift for them.
    """
    moved = side(CLEAN["named_enum"], enum_schema="other")
    assert _column_findings(_alone("moved", moved)) == []


def _tables(name: str, pair: _Pair) -> tuple[TableShape, TableShape]:
    """The model's and the database's table holding the pair and a plain ``id`` column.

    A clean table's pair is renamed after the table: the cache must not care about names.
    """
    column = SUBJECT if name.startswith("drift_") else f"{name}_column"
    model_column, db_column = replace(pair[0], name=column), replace(pair[1], name=column)
    in_primary_key, same_key = pair[2], pair[3]
    id_model, id_db = ColumnShape("id", "INTEGER", False), ColumnShape("id", "integer", False)
    db_key = (column,) if in_primary_key else ("id",)
    model_key = db_key if same_key else ("id", column)
    return (
        TableShape(name, "public", (id_model, model_column), primary_key=model_key),
        TableShape(name, "public", (id_db, db_column), primary_key=db_key),
    )


def _schemas(tables: dict[str, _Pair]) -> tuple[SchemaShape, SchemaShape]:
    model = SchemaShape(dialect=DIALECT, default_schema="public")
    db = SchemaShape(dialect=DIALECT, default_schema="public")
    for name, pair in tables.items():
        model_table, db_table = _tables(name, pair)
        model.tables[("public", name)] = model_table
        db.tables[("public", name)] = db_table
    return model, db


def _alone(name: str, pair: _Pair) -> list[Finding]:
    return compare_schemas(*_schemas({name: pair}))


_COLUMN_KINDS = {
    Kind.TYPE_MISMATCH,
    Kind.NULLABILITY_MISMATCH,
    Kind.DEFAULT_MISMATCH,
    Kind.ENUM_MISMATCH,
}


def _column_findings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.column != "id" and f.kind in _COLUMN_KINDS]


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_pairs_give_no_column_finding(name: str) -> None:
    """The pairs the drifts are measured against are clean when compared alone."""
    assert _column_findings(_alone(name, CLEAN[name])) == []


@pytest.mark.parametrize("name", sorted(DRIFTS))
def test_each_drift_gives_a_column_finding_alone(name: str) -> None:
    """Every drift in the table is a finding on its column when its table is compared alone."""
    assert _column_findings(_alone(name, DRIFTS[name]))


def test_remembered_clean_pairs_hide_no_drift() -> None:
    """Many tables repeating clean pairs, then one drift each: the same findings as alone."""
    tables: dict[str, _Pair] = {}
    for round_ in range(3):
        for name, pair in CLEAN.items():
            tables[f"clean_{round_}_{name}"] = pair
    for name, pair in DRIFTS.items():
        tables[f"drift_{name}"] = pair

    together = compare_schemas(*_schemas(tables))

    alone = [finding for name, pair in tables.items() for finding in _alone(name, pair)]
    assert together == sort_findings(alone)
    drifted = {f.table for f in _column_findings(together)}
    assert drifted == {f"drift_{name}" for name in DRIFTS}


# --- LoadedModels.tables: the dependency order is kept until a MetaData changes size ------


def _names(models: LoadedModels) -> list[str]:
    return [table.name for table in models.tables]


def test_table_added_after_a_first_call_is_listed_in_dependency_order() -> None:
    """A table added to the MetaData later shows up, after the tables it refers to."""
    metadata = MetaData()
    Table("zones", metadata, Column("id", Integer, primary_key=True))
    models = LoadedModels([metadata], [])
    assert _names(models) == ["zones"]

    Table(
        "addresses",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("person_id", ForeignKey("people.id")),
    )
    Table("people", metadata, Column("id", Integer, primary_key=True))
    names = _names(models)
    assert sorted(names) == ["addresses", "people", "zones"]
    assert names.index("people") < names.index("addresses")

    Table("avatars", metadata, Column("address_id", ForeignKey("addresses.id")))
    names = _names(models)
    assert sorted(names) == ["addresses", "avatars", "people", "zones"]
    assert names.index("people") < names.index("addresses") < names.index("avatars")


def test_listing_is_a_copy() -> None:
    """Changing the returned list leaves the next call's list alone."""
    metadata = MetaData()
    Table("zones", metadata, Column("id", Integer, primary_key=True))
    models = LoadedModels([metadata], [])
    models.tables.clear()
    assert _names(models) == ["zones"]

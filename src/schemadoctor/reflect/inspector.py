"""The reference reader: SQLAlchemy's Inspector with its ``get_multi_*`` calls.

It works for every dialect SQLAlchemy knows and is the yardstick that the dialects' own
catalog readers are tested against. It batches on PostgreSQL only; elsewhere SQLAlchemy loops
over the tables, which is why SQLite and MySQL have readers of their own.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import CompileError
from sqlalchemy.types import NullType

from schemadoctor.schema import (
    ColumnShape,
    EnumShape,
    ForeignKeyShape,
    IndexShape,
    SchemaShape,
    TableShape,
    UniqueShape,
    dialect_family,
)

_JSON_CHECK = re.compile(r"json_valid\s*\(\s*[`\"]?(?P<column>[^`\")]+)[`\"]?\s*\)", re.IGNORECASE)


def reflect_schemas(
    connection: Connection, schemas: list[str], default_schema: str | None
) -> SchemaShape:
    """Reflect every table and enum type of the given schemas."""
    inspector = inspect(connection)
    shape = SchemaShape(
        dialect=dialect_family(connection.dialect.name), default_schema=default_schema
    )
    for schema in schemas:
        _reflect_schema(inspector, connection.dialect, schema, default_schema, shape)
    return shape


def _reflect_schema(
    inspector: Any, dialect: Dialect, schema: str, default_schema: str | None, shape: SchemaShape
) -> None:
    columns = inspector.get_multi_columns(schema=schema)
    if not columns:
        return
    primary_keys = inspector.get_multi_pk_constraint(schema=schema)
    indexes = inspector.get_multi_indexes(schema=schema)
    uniques = inspector.get_multi_unique_constraints(schema=schema)
    foreign_keys = inspector.get_multi_foreign_keys(schema=schema)
    json_columns = _json_checked_columns(inspector, dialect, schema)
    if dialect.name == "postgresql":
        for enum in inspector.get_enums(schema=schema):
            enum_schema = enum["schema"] or schema
            shape.enums[(enum_schema, enum["name"])] = EnumShape(
                enum["name"], enum_schema, tuple(enum["labels"])
            )

    for key, table_columns in columns.items():
        table = key[1]
        shape.tables[(schema, table)] = TableShape(
            name=table,
            schema=schema,
            columns=tuple(
                _column(dialect, column, schema, (table, column["name"]) in json_columns)
                for column in table_columns
            ),
            primary_key=tuple(primary_keys.get(key, {}).get("constrained_columns") or ()),
            indexes=_indexes(dialect, indexes.get(key, [])),
            uniques=_uniques(dialect, uniques.get(key, [])),
            foreign_keys=tuple(
                _foreign_key(fk, schema, default_schema) for fk in foreign_keys.get(key, [])
            ),
        )


def _json_checked_columns(inspector: Any, dialect: Dialect, schema: str) -> set[tuple[str, str]]:
    """MariaDB stores JSON as LONGTEXT with CHECK (json_valid(column))."""
    if dialect_family(dialect.name) != "mysql" or not getattr(dialect, "is_mariadb", False):
        return set()
    # SQLAlchemy does not see MariaDB's inline column CHECKs; the catalog lists them all.
    rows = inspector.bind.execute(
        text(
            "SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = :schema"
        ),
        {"schema": schema},
    )
    found = set()
    for table, clause in rows:
        match = _JSON_CHECK.search(clause or "")
        if match:
            found.add((table, match.group("column")))
    return found


def _type_text(dialect: Dialect, column_type: Any) -> str:
    if isinstance(column_type, NullType):
        return "?"
    try:
        return str(dialect.type_compiler_instance.process(column_type))
    except (CompileError, NotImplementedError, AttributeError):
        return str(type(column_type).__name__)


def _column(dialect: Dialect, column: dict[str, Any], schema: str, is_json: bool) -> ColumnShape:
    column_type = column["type"]
    type_text = "JSON" if is_json else _type_text(dialect, column_type)
    enum_name = enum_schema = None
    labels = None
    if hasattr(column_type, "enums") and column_type.enums is not None:
        labels = tuple(column_type.enums)
        if dialect.name == "postgresql":
            enum_name = column_type.name
            enum_schema = getattr(column_type, "schema", None) or schema
    default = column.get("default")
    identity = column.get("identity")
    autoincrement = bool(identity) or (
        isinstance(default, str) and default.lower().startswith("nextval(")
    )
    if column.get("autoincrement") is True and dialect.name != "postgresql":
        autoincrement = True
    computed = column.get("computed")
    return ColumnShape(
        name=column["name"],
        type=type_text,
        nullable=bool(column.get("nullable", True)),
        default=None if autoincrement and dialect.name == "postgresql" else default,
        autoincrement=autoincrement,
        computed=computed["sqltext"] if computed else None,
        enum_name=enum_name,
        enum_schema=enum_schema,
        enum_labels=labels,
    )


def _indexes(dialect: Dialect, indexes: list[dict[str, Any]]) -> tuple[IndexShape, ...]:
    shapes = []
    for index in indexes:
        if index.get("duplicates_constraint") and dialect.name == "postgresql":
            continue
        columns = tuple(index.get("column_names") or ())
        expressions = tuple(
            expression
            for expression, column in zip(
                index.get("expressions") or columns, columns, strict=False
            )
            if column is None
        )
        sorting = index.get("column_sorting") or {}
        descending = tuple("desc" in sorting.get(column or "", ()) for column in columns)
        options = index.get("dialect_options") or {}
        where = options.get("postgresql_where") or options.get("sqlite_where")
        shapes.append(
            IndexShape(
                name=index.get("name"),
                columns=columns,
                unique=bool(index.get("unique")),
                expressions=expressions,
                descending=descending if any(descending) else (),
                where=str(where) if where is not None else None,
            )
        )
    return tuple(shapes)


def _uniques(dialect: Dialect, uniques: list[dict[str, Any]]) -> tuple[UniqueShape, ...]:
    # MySQL has no unique constraints apart from unique indexes: keep them as indexes only.
    if dialect_family(dialect.name) == "mysql":
        return ()
    return tuple(
        UniqueShape(unique.get("name"), tuple(unique["column_names"])) for unique in uniques
    )


def _foreign_key(fk: dict[str, Any], schema: str, default_schema: str | None) -> ForeignKeyShape:
    options = fk.get("options") or {}
    return ForeignKeyShape(
        name=fk.get("name"),
        columns=tuple(fk["constrained_columns"]),
        referred_schema=fk.get("referred_schema") or schema,
        referred_table=fk["referred_table"],
        referred_columns=tuple(fk["referred_columns"]),
        ondelete=(options.get("ondelete") or None) and options["ondelete"].upper(),
        onupdate=(options.get("onupdate") or None) and options["onupdate"].upper(),
    )

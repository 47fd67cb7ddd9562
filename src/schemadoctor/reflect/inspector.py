"""The reference reader: SQLAlchemy's Inspector with its ``get_multi_*`` calls.

It works for every dialect SQLAlchemy knows and is the yardstick that the dialects' own
catalog readers are tested against. It batches on PostgreSQL only; elsewhere SQLAlchemy loops
over the tables, which is why SQLite and MySQL have readers of their own.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import CompileError, SAWarning
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
    # Enum types are read even in a schema without tables: other schemas' tables use them.
    if dialect.name == "postgresql":
        for enum in inspector.get_enums(schema=schema):
            enum_schema = enum["schema"] or schema
            shape.enums[(enum_schema, enum["name"])] = EnumShape(
                enum["name"], enum_schema, tuple(enum["labels"])
            )
    columns = inspector.get_multi_columns(schema=schema)
    if not columns:
        return
    primary_keys = inspector.get_multi_pk_constraint(schema=schema)
    with warnings.catch_warnings():
        # SQLite's expression indexes are read from its catalog below instead.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        indexes = inspector.get_multi_indexes(schema=schema)
        uniques = inspector.get_multi_unique_constraints(schema=schema)
    foreign_keys = inspector.get_multi_foreign_keys(schema=schema)
    json_columns = _json_checked_columns(inspector, dialect, schema)
    sqlite = _SqliteCatalog(inspector.bind, schema) if dialect.name == "sqlite" else None
    mysql_descending = _mysql_descending(inspector, dialect, schema)

    for key, table_columns in columns.items():
        table = key[1]
        table_indexes = _indexes(dialect, indexes.get(key, []), mysql_descending.get(table, {}))
        table_uniques = _uniques(dialect, uniques.get(key, []))
        if sqlite is not None:
            table_indexes = sqlite.indexes(table)
            table_uniques = sqlite.uniques(table, table_uniques)
        shape.tables[(schema, table)] = TableShape(
            name=table,
            schema=schema,
            columns=tuple(
                _column(
                    dialect,
                    column,
                    schema,
                    (table, column["name"]) in json_columns,
                    sqlite.declared_type(table, column["name"]) if sqlite else None,
                )
                for column in table_columns
            ),
            primary_key=tuple(primary_keys.get(key, {}).get("constrained_columns") or ()),
            indexes=table_indexes,
            uniques=table_uniques,
            foreign_keys=tuple(
                _foreign_key(dialect, fk, schema, default_schema)
                for fk in foreign_keys.get(key, [])
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


def _column(
    dialect: Dialect,
    column: dict[str, Any],
    schema: str,
    is_json: bool,
    declared_type: str | None,
) -> ColumnShape:
    column_type = column["type"]
    type_text = "JSON" if is_json else _type_text(dialect, column_type)
    if declared_type is not None:
        # SQLite keeps the declared type; SQLAlchemy maps names it does not know to NUMERIC.
        type_text = declared_type
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
        default=default,
        autoincrement=autoincrement,
        computed=computed["sqltext"] if computed else None,
        enum_name=enum_name,
        enum_schema=enum_schema,
        enum_labels=labels,
    )


def _indexes(
    dialect: Dialect, indexes: list[dict[str, Any]], mysql_descending: dict[str, tuple[bool, ...]]
) -> tuple[IndexShape, ...]:
    shapes = []
    for index in indexes:
        if index.get("duplicates_constraint") and dialect.name == "postgresql":
            continue
        columns = tuple(index.get("column_names") or ())
        elements = index.get("expressions") or columns
        expressions = tuple(
            expression
            for expression, column in zip(elements, columns, strict=False)
            if column is None
        )
        sorting = index.get("column_sorting") or {}
        descending = tuple(
            "desc" in sorting.get(column if column is not None else element, ())
            for column, element in zip(columns, elements, strict=False)
        )
        descending = mysql_descending.get(index.get("name") or "", descending)
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


def _mysql_descending(
    inspector: Any, dialect: Dialect, schema: str
) -> dict[str, dict[str, tuple[bool, ...]]]:
    """MySQL / MariaDB index column order, which SQLAlchemy does not reflect."""
    if dialect_family(dialect.name) != "mysql":
        return {}
    rows = inspector.bind.execute(
        text(
            "SELECT TABLE_NAME, INDEX_NAME, COLLATION FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = :schema ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        ),
        {"schema": schema},
    )
    found: dict[str, dict[str, tuple[bool, ...]]] = {}
    for table, index, collation in rows:
        by_index = found.setdefault(table, {})
        by_index[index] = (*by_index.get(index, ()), collation == "D")
    return found


def _uniques(dialect: Dialect, uniques: list[dict[str, Any]]) -> tuple[UniqueShape, ...]:
    # MySQL has no unique constraints apart from unique indexes: keep them as indexes only.
    if dialect_family(dialect.name) == "mysql":
        return ()
    return tuple(
        UniqueShape(unique.get("name"), tuple(unique["column_names"])) for unique in uniques
    )


def _foreign_key(
    dialect: Dialect, fk: dict[str, Any], schema: str, default_schema: str | None
) -> ForeignKeyShape:
    options = fk.get("options") or {}
    # PostgreSQL leaves out the schema of a table on the search path: the default schema.
    referred_schema = fk.get("referred_schema") or (
        default_schema if dialect.name == "postgresql" and default_schema else schema
    )
    return ForeignKeyShape(
        name=fk.get("name"),
        columns=tuple(fk["constrained_columns"]),
        referred_schema=referred_schema,
        referred_table=fk["referred_table"],
        referred_columns=tuple(fk["referred_columns"]),
        ondelete=(options.get("ondelete") or None) and options["ondelete"].upper(),
        onupdate=(options.get("onupdate") or None) and options["onupdate"].upper(),
    )


class _SqliteCatalog:
    """What SQLAlchemy's SQLite reflection loses, read from the catalog in a few queries.

    Declared column types (SQLAlchemy turns unknown names into NUMERIC), expression and
    descending index elements, and inline UNIQUE constraints (its parser misses
    ``name VARCHAR(20) UNIQUE``).
    """

    def __init__(self, connection: Connection, schema: str) -> None:
        quoted = '"' + schema.replace('"', '""') + '"'
        master = f"{quoted}.sqlite_master"
        self.types: dict[tuple[str, str], str] = {}
        for table, column, declared in connection.execute(
            text(
                f"SELECT m.name, p.name, p.type FROM {master} AS m "
                "JOIN pragma_table_xinfo(m.name, :schema) AS p WHERE m.type = 'table'"
            ),
            {"schema": schema},
        ):
            self.types[(table, column)] = declared or ""
        self.index_rows = list(
            connection.execute(
                text(
                    'SELECT m.name, il.name, il."unique", il.origin, ix.seqno, ix.cid, ix.name, '
                    f'ix."desc" FROM {master} AS m '
                    "JOIN pragma_index_list(m.name, :schema) AS il "
                    "JOIN pragma_index_xinfo(il.name, :schema) AS ix "
                    "WHERE m.type = 'table' AND ix.key = 1 ORDER BY m.name, il.name, ix.seqno"
                ),
                {"schema": schema},
            )
        )
        self.index_sql = {
            name: sql or ""
            for name, sql in connection.execute(
                text(f"SELECT name, sql FROM {master} WHERE type = 'index'")
            )
        }

    def declared_type(self, table: str, column: str) -> str | None:
        """The column's type as declared in CREATE TABLE."""
        return self.types.get((table, column))

    def _elements(self, table: str, origin: str) -> dict[str, list[tuple[Any, ...]]]:
        found: dict[str, list[tuple[Any, ...]]] = {}
        for row in self.index_rows:
            if row[0] == table and row[3] == origin:
                found.setdefault(row[1], []).append(row)
        return found

    def indexes(self, table: str) -> tuple[IndexShape, ...]:
        """The CREATE INDEX indexes of a table, expressions and predicates included."""
        shapes = []
        for name, rows in self._elements(table, "c").items():
            sql_elements, where = split_index_sql(self.index_sql.get(name, ""))
            columns: list[str | None] = []
            expressions: list[str] = []
            for position, row in enumerate(rows):
                columns.append(row[6])
                if row[6] is None:
                    text_ = sql_elements[position] if position < len(sql_elements) else "?"
                    expressions.append(text_)
            descending = tuple(bool(row[7]) for row in rows)
            shapes.append(
                IndexShape(
                    name=name,
                    columns=tuple(columns),
                    unique=bool(rows[0][2]),
                    expressions=tuple(expressions),
                    descending=descending if any(descending) else (),
                    where=where,
                )
            )
        return tuple(shapes)

    def uniques(self, table: str, parsed: tuple[UniqueShape, ...]) -> tuple[UniqueShape, ...]:
        """UNIQUE constraints from their automatic indexes, named where the SQL names them."""
        names = {frozenset(unique.columns): unique.name for unique in parsed}
        shapes = []
        for rows in self._elements(table, "u").values():
            columns = tuple(str(row[6]) for row in rows)
            shapes.append(UniqueShape(names.get(frozenset(columns)), columns))
        return tuple(shapes)


_INDEX_ELEMENT_SUFFIX = re.compile(r"\s+(?:COLLATE\s+\S+\s*)?(?:ASC|DESC)?\s*$", re.IGNORECASE)


def split_index_sql(sql: str) -> tuple[list[str], str | None]:
    """The element texts and the WHERE predicate of a CREATE INDEX statement."""
    match = re.search(r"\bON\s+\S+?\s*\(", sql, re.IGNORECASE | re.DOTALL)
    if match is None:
        return [], None
    depth = 0
    elements: list[str] = []
    start = match.end()
    in_quote = ""
    for position in range(match.end() - 1, len(sql)):
        char = sql[position]
        if in_quote:
            in_quote = "" if char == in_quote else in_quote
        elif char in "'\"`":
            in_quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                elements.append(sql[start:position])
                rest = sql[position + 1 :].strip()
                where = re.sub(r"^WHERE\s+", "", rest, flags=re.IGNORECASE) if rest else None
                cleaned = [_INDEX_ELEMENT_SUFFIX.sub("", e.strip()).strip() for e in elements]
                return cleaned, where or None
        elif char == "," and depth == 1:
            elements.append(sql[start:position])
            start = position + 1
    return [], None

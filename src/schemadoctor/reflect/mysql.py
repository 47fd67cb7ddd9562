"""Batched catalog reader for MySQL and MariaDB: information_schema, four queries whatever the
number of tables and schemas (databases).

SQLAlchemy's Inspector reads ``SHOW CREATE TABLE`` once per table; these queries fetch the same
facts for every requested schema at once (``IN :schemas``). The two servers spell defaults
differently in ``COLUMN_DEFAULT``: MariaDB quotes string literals and writes a missing default
as ``NULL``, MySQL 8 leaves literals bare and marks expressions ``DEFAULT_GENERATED``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from schemadoctor.schema import ColumnShape, ForeignKeyShape, IndexShape, SchemaShape, TableShape

_TableKey = tuple[str, str]

_COLUMNS_QUERY = """
SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE,
       c.COLUMN_DEFAULT, c.EXTRA, c.GENERATION_EXPRESSION, c.DATA_TYPE
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t
  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.TABLE_SCHEMA IN :schemas AND t.TABLE_TYPE = 'BASE TABLE'
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION
"""

# {expression} is EXPRESSION on MySQL 8 (functional key parts); MariaDB has no such column.
_INDEXES_QUERY = """
SELECT s.TABLE_SCHEMA, s.TABLE_NAME, s.INDEX_NAME, s.NON_UNIQUE, s.SEQ_IN_INDEX, s.COLUMN_NAME,
       s.COLLATION, {expression}
FROM information_schema.STATISTICS s
JOIN information_schema.TABLES t
  ON t.TABLE_SCHEMA = s.TABLE_SCHEMA AND t.TABLE_NAME = s.TABLE_NAME
WHERE s.TABLE_SCHEMA IN :schemas AND t.TABLE_TYPE = 'BASE TABLE'
ORDER BY s.TABLE_SCHEMA, s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX
"""

_FOREIGN_KEYS_QUERY = """
SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME,
       k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,
       r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
 AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA IN :schemas AND k.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION
"""

_CHECKS_QUERY = """
SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA IN :schemas
"""

_JSON_CHECK = re.compile(r"json_valid\s*\(\s*`?(?P<column>(?:``|[^`)])+)`?\s*\)", re.IGNORECASE)
_ON_UPDATE = re.compile(r"\bon update (?P<expression>.+)$", re.IGNORECASE)
# MySQL's information_schema lower-cases these; SHOW CREATE TABLE spells them as written.
_NUMERIC_TYPES = {
    "tinyint", "smallint", "mediumint", "int", "integer", "bigint",
    "decimal", "numeric", "float", "double", "real", "bit", "year",
}  # fmt: skip


def _query(sql: str) -> Any:
    return text(sql).bindparams(bindparam("schemas", expanding=True))


def reflect_schemas(
    connection: Connection, schemas: list[str], default_schema: str | None
) -> SchemaShape:
    """Reflect every base table of the given schemas (databases) in four queries."""
    shape = SchemaShape(dialect="mysql", default_schema=default_schema)
    if not schemas:
        return shape
    parameters = {"schemas": list(schemas)}
    is_mariadb = bool(getattr(connection.dialect, "is_mariadb", False))

    json_columns = _read_json_columns(connection, parameters) if is_mariadb else set()
    columns = _read_columns(connection, parameters, is_mariadb, json_columns)
    primary_keys, indexes = _read_indexes(connection, parameters, is_mariadb)
    foreign_keys = _read_foreign_keys(connection, parameters)

    for key, table_columns in columns.items():
        shape.tables[key] = TableShape(
            name=key[1],
            schema=key[0],
            columns=tuple(table_columns),
            primary_key=primary_keys.get(key, ()),
            indexes=tuple(sorted(indexes.get(key, ()), key=lambda index: index.name or "")),
            uniques=(),
            foreign_keys=tuple(foreign_keys.get(key, ())),
        )
    return shape


def _read_json_columns(connection: Connection, parameters: dict[str, Any]) -> set[tuple[str, ...]]:
    """MariaDB stores JSON as LONGTEXT with CHECK (json_valid(column))."""
    found: set[tuple[str, ...]] = set()
    for schema, table, clause in connection.execute(_query(_CHECKS_QUERY), parameters):
        match = _JSON_CHECK.search(clause or "")
        if match:
            found.add((schema, table, match.group("column").replace("``", "`")))
    return found


def _read_columns(
    connection: Connection,
    parameters: dict[str, Any],
    is_mariadb: bool,
    json_columns: set[tuple[str, ...]],
) -> dict[_TableKey, list[ColumnShape]]:
    columns: dict[_TableKey, list[ColumnShape]] = defaultdict(list)
    for row in connection.execute(_query(_COLUMNS_QUERY), parameters):
        schema, table, name, column_type, is_nullable, default, extra, generation = row[:8]
        extra = (extra or "").lower()
        generated = "generated" in extra and "default_generated" not in extra
        is_json = (schema, table, name) in json_columns
        columns[(schema, table)].append(
            ColumnShape(
                name=name,
                type="JSON" if is_json else column_type,
                nullable=is_nullable == "YES",
                default=None if generated else _default(default, extra, row[8], is_mariadb),
                autoincrement="auto_increment" in extra,
                # SHOW CREATE TABLE, which the reference reader parses, wraps it in parentheses.
                computed=f"({generation})" if generated else None,
                enum_name=None,
                enum_schema=None,
                enum_labels=_labels(column_type),
            )
        )
    return columns


def _labels(column_type: str) -> tuple[str, ...] | None:
    """The values of an inline ENUM(...) column type (a SET's stay in its type text)."""
    if not column_type.lower().startswith("enum("):
        return None
    labels = re.findall(r"'((?:[^'\\]|''|\\.)*)'", column_type[column_type.index("(") :])
    return tuple(label.replace("''", "'").replace("\\\\", "\\") for label in labels)


def _default(default: str | None, extra: str, data_type: str, is_mariadb: bool) -> str | None:
    """COLUMN_DEFAULT in SHOW CREATE TABLE's spelling, as the reference reader reports it."""
    if default is None or (is_mariadb and default == "NULL"):
        return None
    quoted = is_mariadb or "default_generated" in extra or data_type.lower() in _NUMERIC_TYPES
    # MySQL 8 leaves string literals bare; quote them as MariaDB and SHOW CREATE TABLE do.
    text_default = default if quoted else "'" + default.replace("'", "''") + "'"
    on_update = _ON_UPDATE.search(extra)
    if on_update:
        text_default += " ON UPDATE " + on_update.group("expression")
    return text_default


def _read_indexes(
    connection: Connection, parameters: dict[str, Any], is_mariadb: bool
) -> tuple[dict[_TableKey, tuple[str, ...]], dict[_TableKey, list[IndexShape]]]:
    expression = "NULL" if is_mariadb else "s.EXPRESSION"
    rows = connection.execute(_query(_INDEXES_QUERY.format(expression=expression)), parameters)
    grouped: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in rows:
        grouped[(row[0], row[1], row[2])].append(row)

    primary_keys: dict[_TableKey, tuple[str, ...]] = {}
    indexes: dict[_TableKey, list[IndexShape]] = defaultdict(list)
    for (schema, table, name), index_rows in grouped.items():
        index_rows.sort(key=lambda row: row[4])
        columns = tuple(row[5] for row in index_rows)
        if name == "PRIMARY":
            primary_keys[(schema, table)] = tuple(column or "" for column in columns)
            continue
        descending = tuple(row[6] == "D" for row in index_rows)
        indexes[(schema, table)].append(
            IndexShape(
                name=name,
                columns=columns,
                unique=not int(index_rows[0][3]),
                expressions=tuple(row[7] for row in index_rows if row[5] is None and row[7]),
                descending=descending if any(descending) else (),
            )
        )
    return primary_keys, indexes


def _read_foreign_keys(
    connection: Connection, parameters: dict[str, Any]
) -> dict[_TableKey, list[ForeignKeyShape]]:
    grouped: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in connection.execute(_query(_FOREIGN_KEYS_QUERY), parameters):
        grouped[(row[0], row[1], row[2])].append(row)

    foreign_keys: dict[_TableKey, list[ForeignKeyShape]] = defaultdict(list)
    for (schema, table, name), rows in grouped.items():
        first = rows[0]
        foreign_keys[(schema, table)].append(
            ForeignKeyShape(
                name=name,
                columns=tuple(row[3] for row in rows),
                referred_schema=first[4],
                referred_table=first[5],
                referred_columns=tuple(row[6] for row in rows),
                ondelete=_action(first[7]),
                onupdate=_action(first[8]),
            )
        )
    return foreign_keys


def _action(rule: str | None) -> str | None:
    # Neither server spells out its default rule in SHOW CREATE TABLE.
    if not rule or rule.upper() in ("RESTRICT", "NO ACTION"):
        return None
    return rule.upper()

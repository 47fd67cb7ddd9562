"""Batched catalog reader for MySQL and MariaDB: information_schema, five queries (six on MariaDB)
whatever the number of tables and schemas (databases).

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

# information_schema tables are materialised per query; joining two of them makes MariaDB scan
# one for every row of the other (seconds per thousand tables), so each is read alone.
_TABLES_QUERY = """
SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_SCHEMA IN :schemas AND TABLE_TYPE = 'BASE TABLE'
"""

_COLUMNS_QUERY = """
SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE,
       COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION, DATA_TYPE, ORDINAL_POSITION
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA IN :schemas
"""

# {expression} is EXPRESSION on MySQL 8 (functional key parts); MariaDB has no such column.
_INDEXES_QUERY = """
SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME,
       COLLATION, {expression}
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA IN :schemas
"""

_FOREIGN_KEY_COLUMNS_QUERY = """
SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION,
       REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA IN :schemas AND REFERENCED_TABLE_NAME IS NOT NULL
"""

_FOREIGN_KEY_RULES_QUERY = """
SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE
FROM information_schema.REFERENTIAL_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA IN :schemas
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
    """Reflect every base table of the given schemas (databases) in five or six queries."""
    shape = SchemaShape(dialect="mysql", default_schema=default_schema)
    if not schemas:
        return shape
    parameters = {"schemas": list(schemas)}
    is_mariadb = bool(getattr(connection.dialect, "is_mariadb", False))

    tables = {tuple(row) for row in connection.execute(_query(_TABLES_QUERY), parameters)}
    json_columns = _read_json_columns(connection, parameters) if is_mariadb else set()
    columns = _read_columns(connection, parameters, is_mariadb, json_columns)
    primary_keys, indexes = _read_indexes(connection, parameters, is_mariadb)
    foreign_keys = _read_foreign_keys(connection, parameters)

    for key in sorted(tables):
        table_columns = columns.get(key, [])
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
    rows = connection.execute(_query(_COLUMNS_QUERY), parameters).fetchall()
    for row in sorted(rows, key=lambda row: (row[0], row[1], row[9])):
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
    # Limitation: the MySQL 8 spelling (bare literals, DEFAULT_GENERATED) and its functional
    # index EXPRESSION are tested only against MariaDB here — a MySQL 8 server in CI would lift it.
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
    rules = {
        (row[0], row[1], row[2]): (row[3], row[4])
        for row in connection.execute(_query(_FOREIGN_KEY_RULES_QUERY), parameters)
    }
    grouped: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in connection.execute(_query(_FOREIGN_KEY_COLUMNS_QUERY), parameters):
        grouped[(row[0], row[1], row[2])].append(row)
    unruled = sorted({(key[0], key[1]) for key in grouped if key not in rules})
    if unruled:
        # MariaDB hides REFERENTIAL_CONSTRAINTS from a user who may only SELECT; SHOW CREATE
        # TABLE still shows the rules, so read them there for those tables alone.
        rules.update(_rules_from_create_table(connection, unruled))

    foreign_keys: dict[_TableKey, list[ForeignKeyShape]] = defaultdict(list)
    for (schema, table, name), rows in sorted(grouped.items()):
        rows.sort(key=lambda row: row[4])
        first = rows[0]
        ondelete, onupdate = rules.get((schema, table, name), (None, None))
        foreign_keys[(schema, table)].append(
            ForeignKeyShape(
                name=name,
                columns=tuple(row[3] for row in rows),
                referred_schema=first[5],
                referred_table=first[6],
                referred_columns=tuple(row[7] for row in rows),
                ondelete=_action(ondelete),
                onupdate=_action(onupdate),
            )
        )
    return foreign_keys


_QUOTED = re.compile(r"`(?:``|[^`])*`")
_CONSTRAINT_LINE = re.compile(r"^\s*CONSTRAINT\s+`(?P<name>(?:``|[^`])+)`\s+FOREIGN KEY\b")
_RULE = re.compile(
    r"\bON (?P<event>DELETE|UPDATE) (?P<rule>CASCADE|SET NULL|SET DEFAULT|RESTRICT|NO ACTION)"
)


def _rules_from_create_table(
    connection: Connection, tables: list[_TableKey]
) -> dict[tuple[str, str, str], tuple[str, str]]:
    """ON DELETE / ON UPDATE of every foreign key of ``tables``, from SHOW CREATE TABLE."""
    quote = connection.dialect.identifier_preparer.quote_identifier
    rules: dict[tuple[str, str, str], tuple[str, str]] = {}
    for schema, table in tables:
        statement = f"SHOW CREATE TABLE {quote(schema)}.{quote(table)}"
        create = connection.exec_driver_sql(statement).one()[1]
        for line in create.splitlines():
            match = _CONSTRAINT_LINE.match(line)
            if match is None:
                continue
            # Quoted names are blanked so that a column called `ON DELETE CASCADE` is no rule.
            found = dict(
                (rule["event"], rule["rule"])
                for rule in _RULE.finditer(_QUOTED.sub("``", line[match.end() :]))
            )
            name = match["name"].replace("``", "`")
            rules[(schema, table, name)] = (
                found.get("DELETE", "RESTRICT"),
                found.get("UPDATE", "RESTRICT"),
            )
    return rules


def _action(rule: str | None) -> str | None:
    # Neither server spells out its default rule in SHOW CREATE TABLE.
    if not rule or rule.upper() in ("RESTRICT", "NO ACTION"):
        return None
    return rule.upper()

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

from schemadoctor.reflect.rows import plain_rows
from schemadoctor.schema import ColumnShape, ForeignKeyShape, IndexShape, SchemaShape, TableShape

_TableKey = tuple[str, str]

# information_schema tables are materialised per query; joining two of them makes MariaDB scan
# one for every row of the other (seconds per thousand tables), so each is read alone. The
# driver decodes every field in Python, so the queries fetch only what is used, sorted by the
# server; {schema} is the schema column, left out when a single schema is read.
_TABLES_QUERY = """
SELECT {schema}TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_SCHEMA IN :schemas AND TABLE_TYPE = 'BASE TABLE'
"""

_COLUMNS_QUERY = """
SELECT {schema}TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA,
       GENERATION_EXPRESSION
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA IN :schemas
ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION
"""

# EXPRESSION is MySQL 8's functional key part; MariaDB has no such column.
_INDEXES_QUERY = """
SELECT {schema}TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, COLLATION{expression}
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA IN :schemas
ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""

_FOREIGN_KEY_COLUMNS_QUERY = """
SELECT {schema}TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME,
       REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA IN :schemas AND REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION
"""

_FOREIGN_KEY_RULES_QUERY = """
SELECT {schema}TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE
FROM information_schema.REFERENTIAL_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA IN :schemas
"""

_CHECKS_QUERY = """
SELECT {schema}TABLE_NAME, CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA IN :schemas AND TABLE_NAME IN :tables
"""

_JSON_CHECK = re.compile(r"json_valid\s*\(\s*`?(?P<column>(?:``|[^`)])+)`?\s*\)", re.IGNORECASE)
_ON_UPDATE = re.compile(r"\bon update (?P<expression>.+)$", re.IGNORECASE)
# MySQL's information_schema lower-cases these; SHOW CREATE TABLE spells them as written.
_NUMERIC_TYPES = {
    "tinyint", "smallint", "mediumint", "int", "integer", "bigint",
    "decimal", "numeric", "float", "double", "real", "bit", "year",
}  # fmt: skip


def _fetch(connection: Connection, sql: str, schemas: list[str], **parameters: Any) -> list[Any]:
    """Rows of ``sql`` over ``schemas``, each starting with its schema name."""
    schema_column = "CONSTRAINT_SCHEMA" if "CONSTRAINT_SCHEMA IN" in sql else "TABLE_SCHEMA"
    single = len(schemas) == 1
    statement = text(sql.format(schema="" if single else f"{schema_column}, "))
    statement = statement.bindparams(
        *(bindparam(name, expanding=True) for name in ("schemas", *parameters))
    )
    rows = plain_rows(connection.execute(statement, {"schemas": schemas, **parameters}))
    if single:
        return [(schemas[0], *row) for row in rows]
    return list(rows)


def reflect_schemas(
    connection: Connection, schemas: list[str], default_schema: str | None
) -> SchemaShape:
    """Reflect every base table of the given schemas (databases) in five or six queries."""
    shape = SchemaShape(dialect="mysql", default_schema=default_schema)
    if not schemas:
        return shape
    schemas = list(schemas)
    is_mariadb = bool(getattr(connection.dialect, "is_mariadb", False))

    tables = {(row[0], row[1]) for row in _fetch(connection, _TABLES_QUERY, schemas)}
    column_rows = _fetch(connection, _COLUMNS_QUERY, schemas)
    json_columns = _read_json_columns(connection, schemas, column_rows) if is_mariadb else set()
    columns = _read_columns(column_rows, is_mariadb, json_columns)
    primary_keys, indexes = _read_indexes(connection, schemas, is_mariadb)
    foreign_keys = _read_foreign_keys(connection, schemas)

    for key in sorted(tables):
        shape.tables[key] = TableShape(
            name=key[1],
            schema=key[0],
            columns=tuple(columns.get(key, ())),
            primary_key=primary_keys.get(key, ()),
            indexes=tuple(sorted(indexes.get(key, ()), key=lambda index: index.name or "")),
            uniques=(),
            foreign_keys=tuple(foreign_keys.get(key, ())),
        )
    return shape


def _read_json_columns(
    connection: Connection, schemas: list[str], column_rows: list[Any]
) -> set[tuple[str, ...]]:
    """MariaDB stores JSON as LONGTEXT with CHECK (json_valid(column))."""
    # Only a table with a LONGTEXT column can hold one; asking for those tables alone spares
    # MariaDB opening every table of the schema.
    # Limitation: json_valid() on a column of another type (TEXT, VARCHAR) is not read as JSON,
    # though the reference reader does — widening the candidates to every text column lifts it.
    candidates = sorted({row[1] for row in column_rows if row[3].lower() == "longtext"})
    if not candidates:
        return set()
    found: set[tuple[str, ...]] = set()
    for schema, table, clause in _fetch(connection, _CHECKS_QUERY, schemas, tables=candidates):
        match = _JSON_CHECK.search(clause or "")
        if match:
            found.add((schema, table, match.group("column").replace("``", "`")))
    return found


def _read_columns(
    rows: list[Any], is_mariadb: bool, json_columns: set[tuple[str, ...]]
) -> dict[_TableKey, list[ColumnShape]]:
    columns: dict[_TableKey, list[ColumnShape]] = defaultdict(list)
    for schema, table, name, column_type, is_nullable, default, extra, generation in rows:
        extra = (extra or "").lower()
        generated = "generated" in extra and "default_generated" not in extra
        is_json = (schema, table, name) in json_columns
        data_type = column_type.split("(", 1)[0].split(" ", 1)[0]
        columns[(schema, table)].append(
            ColumnShape(
                name=name,
                type="JSON" if is_json else column_type,
                nullable=is_nullable == "YES",
                default=None if generated else _default(default, extra, data_type, is_mariadb),
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
    connection: Connection, schemas: list[str], is_mariadb: bool
) -> tuple[dict[_TableKey, tuple[str, ...]], dict[_TableKey, list[IndexShape]]]:
    sql = _INDEXES_QUERY.replace("{expression}", "" if is_mariadb else ", EXPRESSION")
    grouped: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in _fetch(connection, sql, schemas):
        grouped[(row[0], row[1], row[2])].append(row)

    primary_keys: dict[_TableKey, tuple[str, ...]] = {}
    indexes: dict[_TableKey, list[IndexShape]] = defaultdict(list)
    for (schema, table, name), index_rows in grouped.items():
        columns = tuple(row[4] for row in index_rows)
        if name == "PRIMARY":
            primary_keys[(schema, table)] = tuple(column or "" for column in columns)
            continue
        descending = tuple(row[5] == "D" for row in index_rows)
        expressions = () if is_mariadb else tuple(row[6] for row in index_rows if row[4] is None)
        indexes[(schema, table)].append(
            IndexShape(
                name=name,
                columns=columns,
                unique=not int(index_rows[0][3]),
                expressions=tuple(expression for expression in expressions if expression),
                descending=descending if any(descending) else (),
            )
        )
    return primary_keys, indexes


def _read_foreign_keys(
    connection: Connection, schemas: list[str]
) -> dict[_TableKey, list[ForeignKeyShape]]:
    rules = {
        (row[0], row[1], row[2]): (row[3], row[4])
        for row in _fetch(connection, _FOREIGN_KEY_RULES_QUERY, schemas)
    }
    grouped: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in _fetch(connection, _FOREIGN_KEY_COLUMNS_QUERY, schemas):
        grouped[(row[0], row[1], row[2])].append(row)
    unruled = sorted({(key[0], key[1]) for key in grouped if key not in rules})
    if unruled:
        # MariaDB hides REFERENTIAL_CONSTRAINTS from a user who may only SELECT; SHOW CREATE
        # TABLE still shows the rules, so read them there for those tables alone.
        rules.update(_rules_from_create_table(connection, unruled))

    foreign_keys: dict[_TableKey, list[ForeignKeyShape]] = defaultdict(list)
    for (schema, table, name), rows in grouped.items():
        first = rows[0]
        ondelete, onupdate = rules.get((schema, table, name), (None, None))
        foreign_keys[(schema, table)].append(
            ForeignKeyShape(
                name=name,
                columns=tuple(row[3] for row in rows),
                referred_schema=first[4],
                referred_table=first[5],
                referred_columns=tuple(row[6] for row in rows),
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

"""Batched catalog reader for MySQL and MariaDB: information_schema, five queries (six on MariaDB)
whatever the number of tables and schemas (databases).

SQLAlchemy's Inspector reads ``SHOW CREATE TABLE`` once per table; these queries fetch the same
facts for every requested schema at once (``IN :schemas``). The two servers spell defaults
differently in ``COLUMN_DEFAULT``: MariaDB quotes string literals and writes a missing default
as ``NULL``, MySQL 8 leaves literals bare and marks expressions ``DEFAULT_GENERATED``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from schemadoctor.errors import SchemaDoctorError
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

# MariaDB 10.5 and newer aggregate each table's rows into one JSON array on the server:
# PyMySQL decodes every field of every row in Python, which cost more than the query itself;
# one JSON text per table is decoded by the json module instead.
_COLUMNS_GROUPED_QUERY = """
SELECT TABLE_SCHEMA, TABLE_NAME,
       JSON_ARRAYAGG(JSON_ARRAY(COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA,
                                GENERATION_EXPRESSION) ORDER BY ORDINAL_POSITION)
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA IN :schemas
GROUP BY TABLE_SCHEMA, TABLE_NAME
"""

_INDEXES_GROUPED_QUERY = """
SELECT TABLE_SCHEMA, TABLE_NAME,
       JSON_ARRAYAGG(JSON_ARRAY(INDEX_NAME, NON_UNIQUE, COLUMN_NAME, COLLATION)
                     ORDER BY INDEX_NAME, SEQ_IN_INDEX)
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA IN :schemas
GROUP BY TABLE_SCHEMA, TABLE_NAME
"""

# JSON_ARRAYAGG is cut at group_concat_max_len (1 MiB by default): a wide table would not fit.
_AGGREGATE_LIMIT = "SET SESSION group_concat_max_len = 4294967295"

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

# MariaDB's InnoDB dictionary holds every foreign key without opening a single table, where the
# two queries above open all of them (a quarter of the reflection at 3,000 tables). It needs the
# PROCESS privilege and spells a name with anything but letters, digits and '_' in its file-name
# encoding ('@' escapes); otherwise the two queries above are used.
_INNODB_FOREIGN_QUERY = """
SELECT ID, FOR_NAME, REF_NAME, TYPE FROM information_schema.INNODB_SYS_FOREIGN
WHERE SUBSTRING_INDEX(FOR_NAME, '/', 1) IN :schemas
"""

_INNODB_FOREIGN_COLUMNS_QUERY = """
SELECT ID, FOR_COL_NAME, REF_COL_NAME, POS FROM information_schema.INNODB_SYS_FOREIGN_COLS
WHERE SUBSTRING_INDEX(ID, '/', 1) IN :schemas
"""

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")

# The TYPE bits of an InnoDB foreign key; no bit is RESTRICT.
_INNODB_ON_DELETE = {1: "CASCADE", 2: "SET NULL", 16: "NO ACTION"}
_INNODB_ON_UPDATE = {4: "CASCADE", 8: "SET NULL", 32: "NO ACTION"}

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


# A table's rows of one catalog query: (schema, table, [row without schema and table, ...]).
_Group = tuple[str, str, list[Sequence[Any]]]


def _aggregates(connection: Connection) -> bool:
    """Whether the server aggregates rows into JSON (MariaDB 10.5 and newer)."""
    version = connection.dialect.server_version_info or ()
    return bool(getattr(connection.dialect, "is_mariadb", False)) and version[:2] >= (10, 5)


def _groups(
    connection: Connection, sql: str, grouped_sql: str, schemas: list[str], aggregate: bool
) -> list[_Group]:
    """The rows of ``sql`` table by table, aggregated on the server when ``aggregate``."""
    if aggregate:
        rows = plain_rows(connection.execute(_bind(grouped_sql), {"schemas": schemas}))
        return [(schema, table, json.loads(values)) for schema, table, values in rows]
    return [
        (schema, table, [row[2:] for row in rows])
        for (schema, table), rows in itertools.groupby(
            _fetch(connection, sql, schemas), key=lambda row: (row[0], row[1])
        )
    ]


def reflect_schemas(
    connection: Connection,
    schemas: list[str],
    default_schema: str | None,
    sibling: Callable[[], contextlib.AbstractContextManager[Connection]] | None = None,
) -> SchemaShape:
    """Reflect every base table of the given schemas (databases) in five to eight queries.

    With ``sibling``, a second connection it opens reads the tables, indexes and foreign keys
    while this one reads the columns: each information_schema query opens every table, and
    the server does that for both at once.
    """
    shape = SchemaShape(dialect="mysql", default_schema=default_schema)
    if not schemas:
        return shape
    schemas = list(schemas)
    is_mariadb = bool(getattr(connection.dialect, "is_mariadb", False))
    aggregate = _aggregates(connection)

    def read_keys_beside() -> _Keys | None:
        assert sibling is not None
        with contextlib.ExitStack() as stack:
            try:
                other = stack.enter_context(sibling())
            except SchemaDoctorError:
                # No second connection to be had (max_connections reached): this one reads.
                return None
            if aggregate:
                other.exec_driver_sql(_AGGREGATE_LIMIT)
            return _read_keys(other, schemas, is_mariadb, aggregate)

    # Limitation: the two connections read in two transactions, so DDL committed between their
    # queries can be half seen (MariaDB's information_schema is no consistent snapshot even in
    # one) — reading with sibling=None, one connection, narrows that window.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reflect-keys") as pool:
        keys = pool.submit(read_keys_beside) if sibling is not None else None
        if aggregate:
            connection.exec_driver_sql(_AGGREGATE_LIMIT)
        groups = _groups(connection, _COLUMNS_QUERY, _COLUMNS_GROUPED_QUERY, schemas, aggregate)
        json_columns = _read_json_columns(connection, schemas, groups) if is_mariadb else set()
        columns = _read_columns(groups, is_mariadb, json_columns)
        read_beside = keys.result() if keys is not None else None
        tables, primary_keys, indexes, foreign_keys = read_beside or _read_keys(
            connection, schemas, is_mariadb, aggregate
        )

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


# The base tables, their primary keys, indexes and foreign keys.
_Keys = tuple[
    set[_TableKey],
    dict[_TableKey, tuple[str, ...]],
    dict[_TableKey, list[IndexShape]],
    dict[_TableKey, list[ForeignKeyShape]],
]


def _read_keys(
    connection: Connection, schemas: list[str], is_mariadb: bool, aggregate: bool
) -> _Keys:
    tables = {(row[0], row[1]) for row in _fetch(connection, _TABLES_QUERY, schemas)}
    primary_keys, indexes = _read_indexes(connection, schemas, is_mariadb, aggregate)
    foreign_keys = None
    if is_mariadb and all(_PLAIN_NAME.fullmatch(schema) for schema in schemas):
        foreign_keys = _read_innodb_foreign_keys(connection, schemas, tables)
    if foreign_keys is None:
        foreign_keys = _read_foreign_keys(connection, schemas)
    return tables, primary_keys, indexes, foreign_keys


def _read_json_columns(
    connection: Connection, schemas: list[str], groups: list[_Group]
) -> set[tuple[str, ...]]:
    """MariaDB stores JSON as LONGTEXT with CHECK (json_valid(column))."""
    # Only a table with a LONGTEXT column can hold one; asking for those tables alone spares
    # MariaDB opening every table of the schema.
    # Limitation: json_valid() on a column of another type (TEXT, VARCHAR) is not read as JSON,
    # though the reference reader does — widening the candidates to every text column lifts it.
    candidates = sorted(
        {table for _, table, rows in groups if any(row[1].lower() == "longtext" for row in rows)}
    )
    if not candidates:
        return set()
    found: set[tuple[str, ...]] = set()
    for schema, table, clause in _fetch(connection, _CHECKS_QUERY, schemas, tables=candidates):
        match = _JSON_CHECK.search(clause or "")
        if match:
            found.add((schema, table, match.group("column").replace("``", "`")))
    return found


def _read_columns(
    groups: list[_Group], is_mariadb: bool, json_columns: set[tuple[str, ...]]
) -> dict[_TableKey, list[ColumnShape]]:
    columns: dict[_TableKey, list[ColumnShape]] = {}
    for schema, table, rows in groups:
        table_columns = columns[(schema, table)] = []
        for name, column_type, is_nullable, default, extra, generation in rows:
            extra = (extra or "").lower()
            generated = "generated" in extra and "default_generated" not in extra
            is_json = bool(json_columns) and (schema, table, name) in json_columns
            data_type = column_type.split("(", 1)[0].split(" ", 1)[0]
            # Positional, in ColumnShape's field order: keywords cost twice as much per record.
            table_columns.append(
                ColumnShape(
                    name,
                    "JSON" if is_json else column_type,
                    is_nullable == "YES",
                    None if generated else _default(default, extra, data_type, is_mariadb),
                    "auto_increment" in extra,
                    # SHOW CREATE TABLE, which the reference reader parses, wraps it in ().
                    f"({generation})" if generated else None,
                    None,
                    None,
                    _labels(column_type),
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
    connection: Connection, schemas: list[str], is_mariadb: bool, aggregate: bool
) -> tuple[dict[_TableKey, tuple[str, ...]], dict[_TableKey, list[IndexShape]]]:
    sql = _INDEXES_QUERY.replace("{expression}", "" if is_mariadb else ", EXPRESSION")
    grouped: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    grouped_rows = _groups(connection, sql, _INDEXES_GROUPED_QUERY, schemas, aggregate)
    for schema, table, rows in grouped_rows:
        for row in rows:
            grouped[(schema, table, row[0])].append(row)

    primary_keys: dict[_TableKey, tuple[str, ...]] = {}
    indexes: dict[_TableKey, list[IndexShape]] = defaultdict(list)
    for (schema, table, name), index_rows in grouped.items():
        # Each row: name, NON_UNIQUE, column, collation ('D' is descending), expression.
        columns = tuple(row[2] for row in index_rows)
        if name == "PRIMARY":
            primary_keys[(schema, table)] = tuple(column or "" for column in columns)
            continue
        descending = tuple(row[3] == "D" for row in index_rows)
        expressions = () if is_mariadb else tuple(row[4] for row in index_rows if row[2] is None)
        indexes[(schema, table)].append(
            IndexShape(
                name=name,
                columns=columns,
                unique=not int(index_rows[0][1]),
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


def _read_innodb_foreign_keys(
    connection: Connection, schemas: list[str], tables: set[_TableKey]
) -> dict[_TableKey, list[ForeignKeyShape]] | None:
    """The foreign keys from MariaDB's InnoDB dictionary; None when it cannot tell them."""
    try:
        keys = plain_rows(connection.execute(_bind(_INNODB_FOREIGN_QUERY), {"schemas": schemas}))
        key_columns = plain_rows(
            connection.execute(_bind(_INNODB_FOREIGN_COLUMNS_QUERY), {"schemas": schemas})
        )
    except DBAPIError as error:
        # No PROCESS privilege (1227), or a server without the table (1109): the usual way.
        if error.orig is None or error.orig.args[:1] not in ((1227,), (1109,)):
            raise
        return None
    columns: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for key_id, column, referred_column, position in key_columns:
        columns[key_id].append((position, column, referred_column))

    foreign_keys: dict[_TableKey, list[ForeignKeyShape]] = defaultdict(list)
    for key_id, table_path, referred_path, flags in sorted(keys):
        if "@" in key_id + table_path + referred_path or key_id not in columns:
            return None
        name = key_id.split("/", 1)[1]
        table = table_path.split("/", 1)
        referred_schema, referred_table = referred_path.split("/", 1)
        if (table[0], table[1]) not in tables:
            # Names stored in another case than the catalog shows (lower_case_table_names).
            return None
        pairs = sorted(columns[key_id])
        foreign_keys[(table[0], table[1])].append(
            ForeignKeyShape(
                name,
                tuple(column for _, column, _ in pairs),
                referred_schema,
                referred_table,
                tuple(referred for _, _, referred in pairs),
                _action(_rule(flags, _INNODB_ON_DELETE)),
                _action(_rule(flags, _INNODB_ON_UPDATE)),
            )
        )
    return foreign_keys


def _rule(flags: int, rules: dict[int, str]) -> str | None:
    return next((rule for bit, rule in rules.items() if flags & bit), None)


def _bind(sql: str) -> Any:
    return text(sql).bindparams(bindparam("schemas", expanding=True))


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

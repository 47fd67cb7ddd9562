"""Batched catalog reader for SQLite: four queries whatever the number of tables.

Each query joins every schema's ``sqlite_schema`` with a table-valued pragma function
(``pragma_table_xinfo``, ``pragma_index_list`` / ``pragma_index_xinfo``,
``pragma_foreign_key_list``), one ``UNION ALL`` branch per attached database. What the pragmas
do not tell — constraint names, index expressions and predicates — is read from the stored
``CREATE`` statements that the first query fetches.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from schemadoctor.reflect.rows import plain_rows
from schemadoctor.schema import (
    ColumnShape,
    ForeignKeyShape,
    IndexShape,
    SchemaShape,
    TableShape,
    UniqueShape,
)

_TableKey = tuple[str, str]

_NOT_INTERNAL = "m.name NOT LIKE 'sqlite~_%' ESCAPE '~'"
_STATEMENTS_QUERY = "SELECT {schema}, m.type, m.name, m.tbl_name, m.sql FROM {main} m"
_COLUMNS_QUERY = (
    'SELECT {schema}, m.name, c.cid, c.name, c.type, c."notnull", c.dflt_value, c.pk, c.hidden '
    "FROM {main} m JOIN pragma_table_xinfo(m.name, {schema}) c "
    f"WHERE m.type = 'table' AND {_NOT_INTERNAL}"
)
_INDEXES_QUERY = (
    'SELECT {schema}, m.name, i.seq, i.name, i."unique", i.origin, i.partial, '
    'x.seqno, x.cid, x.name, x."desc" '
    "FROM {main} m JOIN pragma_index_list(m.name, {schema}) i "
    "JOIN pragma_index_xinfo(i.name, {schema}) x "
    f"WHERE m.type = 'table' AND {_NOT_INTERNAL} AND x.key = 1"
)
_FOREIGN_KEYS_QUERY = (
    'SELECT {schema}, m.name, f.id, f.seq, f."table", f."from", f."to", '
    "f.on_update, f.on_delete "
    "FROM {main} m JOIN pragma_foreign_key_list(m.name, {schema}) f "
    f"WHERE m.type = 'table' AND {_NOT_INTERNAL}"
)

_IDENTIFIER = r'(?:"(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\]|\w+)'
_NAMED_CONSTRAINT = re.compile(
    rf"\bCONSTRAINT\s+(?P<name>{_IDENTIFIER})\s+(?P<kind>UNIQUE|FOREIGN\s+KEY)\s*\(",
    re.IGNORECASE,
)
_REFERENCES = re.compile(rf"\s*REFERENCES\s+(?P<table>{_IDENTIFIER})", re.IGNORECASE)
_GENERATED = re.compile(r"\bGENERATED\s+ALWAYS\s+AS\s*\(", re.IGNORECASE)
_GENERATED_TYPE = re.compile(r"\s*\bGENERATED\s+ALWAYS\b.*$", re.IGNORECASE)
_ORDERING = re.compile(r"(?:\s+COLLATE\s+\S+)?(?:\s+(?:ASC|DESC))?\s*$", re.IGNORECASE)
_ROWID_ALIAS_TYPE = "integer"
_WITHOUT_ROWID = re.compile(r"\)\s*(?:STRICT\s*,\s*)?WITHOUT\s+ROWID\b[^)]*$", re.IGNORECASE)


@dataclass
class _Table:
    schema: str
    name: str
    sql: str
    columns: list[ColumnShape] = field(default_factory=list)
    primary_key: list[tuple[int, str]] = field(default_factory=list)
    indexes: list[IndexShape] = field(default_factory=list)
    uniques: list[UniqueShape] = field(default_factory=list)
    foreign_keys: list[ForeignKeyShape] = field(default_factory=list)
    # Filled on first use by _constraint_names: kind -> columns -> name.
    constraint_names: dict[str, dict[tuple[str, ...], str]] = field(default_factory=dict)


def reflect_schemas(
    connection: Connection, schemas: list[str], default_schema: str | None
) -> SchemaShape:
    """Reflect every table of the given schemas (attached databases) in four queries."""
    shape = SchemaShape(dialect="sqlite", default_schema=default_schema)
    if not schemas:
        return shape
    tables, index_statements = _read_statements(connection, schemas)

    _read_columns(connection, schemas, tables)
    _read_indexes(connection, schemas, tables, index_statements)
    _read_foreign_keys(connection, schemas, tables)

    for key in sorted(tables):
        table = tables[key]
        shape.tables[key] = TableShape(
            name=table.name,
            schema=table.schema,
            columns=tuple(table.columns),
            primary_key=tuple(name for _, name in sorted(table.primary_key)),
            indexes=tuple(sorted(table.indexes, key=lambda index: index.name or "")),
            uniques=tuple(table.uniques),
            foreign_keys=tuple(table.foreign_keys),
        )
    return shape


def _union(connection: Connection, template: str, schemas: list[str]) -> list[Any]:
    """Run ``template`` once over every schema, as one ``UNION ALL`` statement."""
    quote = connection.dialect.identifier_preparer.quote_identifier
    branches = [
        template.format(schema=f":schema_{number}", main=f"{quote(schema)}.sqlite_master")
        for number, schema in enumerate(schemas)
    ]
    parameters = {f"schema_{number}": schema for number, schema in enumerate(schemas)}
    return plain_rows(connection.execute(text(" UNION ALL ".join(branches)), parameters))


def _read_statements(
    connection: Connection, schemas: list[str]
) -> tuple[dict[_TableKey, _Table], dict[_TableKey, str]]:
    tables: dict[_TableKey, _Table] = {}
    index_statements: dict[_TableKey, str] = {}
    for schema, kind, name, _, sql in _union(connection, _STATEMENTS_QUERY, schemas):
        if kind == "table" and not name.startswith("sqlite_"):
            tables[(schema, name)] = _Table(schema, name, sql or "")
        elif kind == "index" and sql:
            index_statements[(schema, name)] = sql
    return tables, index_statements


def _read_columns(
    connection: Connection, schemas: list[str], tables: dict[_TableKey, _Table]
) -> None:
    # Each table's columns arrive together and in cid order: the join walks them that way.
    rows = _union(connection, _COLUMNS_QUERY, schemas)
    pk_counts: dict[_TableKey, int] = defaultdict(int)
    for row in rows:
        if row[7]:
            pk_counts[(row[0], row[1])] += 1
    for schema, table_name, _, name, declared, notnull, default, pk, hidden in rows:
        table = tables.get((schema, table_name))
        if table is None or hidden == 1:
            continue
        declared = declared or ""
        computed = None
        if hidden in (2, 3):
            declared = _GENERATED_TYPE.sub("", declared)
            computed = _generated_expression(table.sql, name)
        rowid_alias = False
        if pk:
            table.primary_key.append((pk, name))
            # A single INTEGER PRIMARY KEY column is the rowid: SQLite numbers it on insert.
            rowid_alias = (
                pk_counts[(schema, table_name)] == 1
                and declared.lower() == _ROWID_ALIAS_TYPE
                and not _WITHOUT_ROWID.search(table.sql)
            )
        # Positional, in ColumnShape's field order: keywords cost twice as much per record.
        table.columns.append(
            ColumnShape(
                name,
                declared,
                not notnull,
                None if default is None else str(default),
                rowid_alias,
                computed,
            )
        )


def _read_indexes(
    connection: Connection,
    schemas: list[str],
    tables: dict[_TableKey, _Table],
    index_statements: dict[_TableKey, str],
) -> None:
    grouped: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in _union(connection, _INDEXES_QUERY, schemas):
        grouped[(row[0], row[1], row[3])].append(row)
    for (schema, table_name, index_name), rows in grouped.items():
        table = tables.get((schema, table_name))
        if table is None:
            continue
        rows.sort(key=lambda row: row[7])
        unique, origin = bool(rows[0][4]), rows[0][5]
        columns = [row[9] if row[8] != -2 else None for row in rows]
        if origin == "pk":
            continue
        if origin == "u":
            names = _constraint_names(table, "UNIQUE")
            key = tuple(column or "" for column in columns)
            table.uniques.append(UniqueShape(names.get(key), key))
            continue
        partial = bool(rows[0][6])
        elements: list[str] = []
        where = None
        if partial or None in columns:
            statement = index_statements.get((schema, index_name), "")
            elements, where = _index_elements(statement)
        # Limitation: an expression is read back from the stored CREATE INDEX text; one that the
        # splitter cannot find reads "<expression>" — SQLite exposes no expression text otherwise.
        expressions = tuple(
            elements[position] if position < len(elements) else "<expression>"
            for position, column in enumerate(columns)
            if column is None
        )
        descending = tuple(bool(row[10]) for row in rows)
        table.indexes.append(
            IndexShape(
                name=index_name,
                columns=tuple(columns),
                unique=unique,
                expressions=expressions,
                descending=descending if any(descending) else (),
                where=where if partial else None,
            )
        )


def _read_foreign_keys(
    connection: Connection, schemas: list[str], tables: dict[_TableKey, _Table]
) -> None:
    grouped: dict[tuple[str, str, int], list[Any]] = defaultdict(list)
    for row in _union(connection, _FOREIGN_KEYS_QUERY, schemas):
        grouped[(row[0], row[1], row[2])].append(row)
    for (schema, table_name, _), rows in sorted(grouped.items(), key=lambda item: item[0]):
        table = tables.get((schema, table_name))
        if table is None:
            continue
        rows.sort(key=lambda row: row[3])
        referred_table = rows[0][4]
        columns = tuple(row[5] for row in rows)
        referred_columns = tuple(row[6] for row in rows)
        if any(column is None for column in referred_columns):
            # REFERENCES without a column list points at the referred table's primary key.
            referred = tables.get((schema, referred_table))
            referred_columns = (
                tuple(name for _, name in sorted(referred.primary_key)) if referred else ()
            )
        names = _constraint_names(table, "FOREIGN KEY")
        table.foreign_keys.append(
            ForeignKeyShape(
                name=names.get((*columns, "->", referred_table.lower())),
                columns=columns,
                referred_schema=schema,
                referred_table=referred_table,
                referred_columns=referred_columns,
                ondelete=_action(rows[0][8]),
                onupdate=_action(rows[0][7]),
            )
        )


def _action(action: str | None) -> str | None:
    if not action or action.upper() == "NO ACTION":
        return None
    return action.upper()


def _unquote(identifier: str) -> str:
    if identifier[:1] in ('"', "`") and identifier[-1:] == identifier[:1]:
        quote = identifier[0]
        return identifier[1:-1].replace(quote * 2, quote)
    if identifier[:1] == "[" and identifier[-1:] == "]":
        return identifier[1:-1]
    return identifier


def _closing_parenthesis(sql: str, opening: int) -> int:
    """The index of the parenthesis that closes the one at ``opening``, quotes respected."""
    depth = 0
    quote: str | None = None
    for index in range(opening, len(sql)):
        char = sql[index]
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif char == "[":
            quote = "]"
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
    return len(sql)


def _split_top_level(sql: str) -> list[str]:
    """Split a parenthesised list's contents at its top-level commas."""
    parts: list[str] = []
    start = depth = 0
    quote: str | None = None
    for index, char in enumerate(sql):
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif char == "[":
            quote = "]"
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(sql[start:index].strip())
            start = index + 1
    parts.append(sql[start:].strip())
    return parts


def _constraint_names(table: _Table, kind: str) -> dict[tuple[str, ...], str]:
    """Names of the table's named UNIQUE / FOREIGN KEY constraints, keyed by their columns."""
    if not table.constraint_names:
        table.constraint_names = _parse_constraint_names(table.sql)
    return table.constraint_names.get(kind, {})


def _parse_constraint_names(sql: str) -> dict[str, dict[tuple[str, ...], str]]:
    """The named constraints of a CREATE TABLE, by kind; one pass for both kinds."""
    names: dict[str, dict[tuple[str, ...], str]] = {"UNIQUE": {}, "FOREIGN KEY": {}}
    if "constraint" not in sql.lower():
        return names
    for match in _NAMED_CONSTRAINT.finditer(sql):
        kind = " ".join(match.group("kind").upper().split())
        opening = match.end() - 1
        closing = _closing_parenthesis(sql, opening)
        columns = tuple(_unquote(part) for part in _split_top_level(sql[opening + 1 : closing]))
        if kind == "FOREIGN KEY":
            references = _REFERENCES.match(sql, closing + 1)
            if references is None:
                continue
            columns = (*columns, "->", _unquote(references.group("table")).lower())
        names[kind][columns] = _unquote(match.group("name"))
    return names


def _index_elements(statement: str) -> tuple[list[str], str | None]:
    """The element texts of ``CREATE INDEX ... ON t (elements) [WHERE predicate]``."""
    on = re.search(rf"\bON\s+{_IDENTIFIER}\s*\(", statement, re.IGNORECASE)
    if on is None:
        return [], None
    opening = on.end() - 1
    closing = _closing_parenthesis(statement, opening)
    elements = [
        _ORDERING.sub("", element) for element in _split_top_level(statement[opening + 1 : closing])
    ]
    where = re.match(r"\s*WHERE\s+(.+)", statement[closing + 1 :], re.IGNORECASE | re.DOTALL)
    return elements, where.group(1).strip() if where else None


def _generated_expression(sql: str, column: str) -> str | None:
    """The expression of a generated column, read from the table's CREATE statement."""
    body_start = sql.find("(")
    if body_start < 0:
        return None
    body = sql[body_start + 1 : _closing_parenthesis(sql, body_start)]
    for definition in _split_top_level(body):
        name_match = re.match(_IDENTIFIER, definition)
        if name_match is None or _unquote(name_match.group(0)) != column:
            continue
        generated = _GENERATED.search(definition)
        if generated is None:
            return None
        opening = generated.end() - 1
        return definition[opening + 1 : _closing_parenthesis(definition, opening)].strip()
    return None

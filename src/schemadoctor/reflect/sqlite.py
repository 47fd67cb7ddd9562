"""Batched catalog reader for SQLite: four queries whatever the number of tables.

Each query joins every schema's ``sqlite_schema`` with a table-valued pragma function
(``pragma_table_xinfo``, ``pragma_index_list`` / ``pragma_index_xinfo``,
``pragma_foreign_key_list``), one ``UNION ALL`` branch per attached database. What the pragmas
do not tell — constraint names, index expressions and predicates — is read from the stored
``CREATE`` statements that the first query fetches.

Each query's rows come back as one JSON array built by SQLite (``json_group_array``): the
library then fills the whole result in one call, without the interpreter lock, while the models
are described on another thread. Row by row, every step would hand the lock back and forth with
that thread (seconds lost at thousands of tables), and building a row in Python costs more than
decoding its JSON. A library without JSON functions is read row by row.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import compress, groupby, starmap
from operator import itemgetter
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

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
# A catalog query: its select list and its FROM clause.
_Query = tuple[tuple[str, ...], str]

# Whether to ask for JSON first (tests read the same database both ways).
JSON_ROWS = True

# Each query is its select list and its FROM clause; {schema} is the schema's bound name and
# {main} its sqlite_schema. Every row starts with the schema's position in the list read.
_NOT_INTERNAL = "m.name NOT LIKE 'sqlite~_%' ESCAPE '~'"
_STATEMENTS_QUERY = (("m.type", "m.name", "m.sql"), "FROM {main} m")
# One row per column, read where the library has no JSON functions (see _COLUMNS_BY_TABLE_QUERY):
# a column's name, type, nullability and default come first, in ColumnShape's field order; the
# hidden columns of virtual tables are left out.
_COLUMNS_QUERY = (
    (
        *("m.name", "c.name", "coalesce(c.type, '')", 'c."notnull" = 0'),
        *("CAST(c.dflt_value AS TEXT)", "c.pk", "c.hidden"),
    ),
    "FROM {main} m JOIN pragma_table_xinfo(m.name, {schema}) c "
    f"WHERE m.type = 'table' AND {_NOT_INTERNAL} AND c.hidden <> 1",
)
# The same columns grouped by table, where the library has JSON functions: each table's columns
# as ColumnShape's first four fields, its primary key positions and its hidden flags (0, 2 or
# 3, one digit per column). Python then builds each table's records in one C-level call; the
# rows one per column cost it half as much again, in decoding and in regrouping them.
_COLUMNS_BY_TABLE_QUERY = (
    (
        "m.name",
        "json_group_array(json_array(c.name, coalesce(c.type, ''), "
        "CASE WHEN c.\"notnull\" THEN json('false') ELSE json('true') END, "
        "CAST(c.dflt_value AS TEXT)))",
        "json_group_array(c.pk)",
        "group_concat(c.hidden, '')",
    ),
    # sqlite_schema is scanned in rowid order, so grouping by its rowid needs no sort and keeps
    # each table's columns in cid order.
    _COLUMNS_QUERY[1] + " GROUP BY m.rowid",
)
# The positions in a select list that hold JSON text: a subquery's column loses its JSON type,
# so the outer array takes them through json() to nest them rather than quote them.
_JSON_TEXTS = {id(_COLUMNS_BY_TABLE_QUERY): (1, 2)}
# The query whose rows stand in for one that needs the JSON functions.
_WITHOUT_JSON = {id(_COLUMNS_BY_TABLE_QUERY): _COLUMNS_QUERY}
_INDEXES_QUERY = (
    (
        *("m.name", "i.name", 'i."unique"', "i.origin", "i.partial"),
        *("x.seqno", "x.cid", "x.name", 'x."desc"'),
    ),
    "FROM {main} m JOIN pragma_index_list(m.name, {schema}) i "
    "JOIN pragma_index_xinfo(i.name, {schema}) x "
    f"WHERE m.type = 'table' AND {_NOT_INTERNAL} AND x.key = 1",
)
_FOREIGN_KEYS_QUERY = (
    ("m.name", "f.id", "f.seq", 'f."table"', 'f."from"', 'f."to"', "f.on_update", "f.on_delete"),
    "FROM {main} m JOIN pragma_foreign_key_list(m.name, {schema}) f "
    f"WHERE m.type = 'table' AND {_NOT_INTERNAL}",
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
    reader = _Reader(connection, schemas)
    tables: dict[_TableKey, _Table] = {}
    index_statements: dict[_TableKey, str] = {}
    steps: list[tuple[_Query, Callable[[], None]]] = [
        (_STATEMENTS_QUERY, lambda: _read_statements(reader, tables, index_statements)),
        (_COLUMNS_BY_TABLE_QUERY, lambda: _read_columns(reader, tables)),
        (_INDEXES_QUERY, lambda: _read_indexes(reader, tables, index_statements)),
        (_FOREIGN_KEYS_QUERY, lambda: _read_foreign_keys(reader, tables)),
    ]
    # The queries run on this thread and each one's records are built on another while the next
    # runs: the library lets go of the interpreter while it runs a query, so building records
    # (and describing the models, on a third thread) fills that time instead of following it.
    # One builder thread keeps the steps in order: each reads the tables the ones before made.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-records") as builder:
        built = []
        for query, build in steps:
            reader.prefetch(query)
            built.append(builder.submit(build))
        for step in built:
            step.result()

    for key in sorted(tables):
        table = tables[key]
        shape.tables[key] = TableShape(
            table.name,
            table.schema,
            tuple(table.columns),
            tuple(name for _, name in sorted(table.primary_key)),
            tuple(sorted(table.indexes, key=lambda index: index.name or "")),
            tuple(table.uniques),
            tuple(table.foreign_keys),
        )
    return shape


class _Reader:
    """Runs a catalog query over every schema at once, as JSON while the library can."""

    def __init__(self, connection: Connection, schemas: list[str]) -> None:
        self.connection = connection
        self.schemas = schemas
        self.as_json = JSON_ROWS
        self._fetched: dict[_Query, str | _Packed | list[Sequence[Any]]] = {}
        # The queries answered by the rows of their stand-in (see _WITHOUT_JSON).
        self.answered_without_json: set[_Query] = set()

    def prefetch(self, query: _Query) -> None:
        """Run the query now; ``rows`` then decodes what it returned."""
        self._fetched[query] = self._fetch(query)

    def rows(self, query: _Query) -> list[Sequence[Any]]:
        """The query's rows over every schema, each starting with its schema's position."""
        fetched = self._fetched.pop(query, None)
        if fetched is None:
            fetched = self._fetch(query)
        if isinstance(fetched, _Packed):
            # Every value is text; the schema's position too, read back as a number. Statements
            # hold no NUL, so a count that does not divide means the text is not what we packed.
            values = fetched.text.split("\x00") if fetched.text else []
            width = len(query[0]) + 1
            numbers = [int(number) for number in values[::width]]
            columns = (values[start::width] for start in range(1, width))
            return list(zip(numbers, *columns, strict=True))
        if isinstance(fetched, str):
            return list(json.loads(fetched)) if fetched else []
        return fetched

    def _fetch(self, query: _Query) -> str | _Packed | list[Sequence[Any]]:
        """The query's JSON text, or its rows where the library has no JSON functions."""
        columns, source = query
        quote = self.connection.dialect.identifier_preparer.quote_identifier
        branches = " UNION ALL ".join(
            f"SELECT {number} AS s, "
            + ", ".join(f"{column} AS c{position}" for position, column in enumerate(columns))
            + " "
            + source.format(schema=f":schema_{number}", main=f"{quote(schema)}.sqlite_master")
            for number, schema in enumerate(self.schemas)
        )
        parameters = {f"schema_{number}": schema for number, schema in enumerate(self.schemas)}
        if query is _STATEMENTS_QUERY:
            # The statements are a few long texts per table: escaping them into JSON costs SQLite
            # ten times more than joining them, and row by row every row would wait for the
            # interpreter lock that the thread describing the models holds. No statement or
            # name can hold a NUL character, so NUL separates the values.
            values = " || char(0) || ".join(
                ["s", *(f"coalesce(c{position}, '')" for position in range(len(columns)))]
            )
            statement = f"SELECT group_concat({values}, char(0)) FROM ({branches})"
            packed = self.connection.execute(text(statement), parameters).scalar_one()
            return _Packed(packed or "")
        if self.as_json:
            texts = _JSON_TEXTS.get(id(query), ())
            values = ", ".join(
                [
                    "s",
                    *(
                        f"json(c{position})" if position in texts else f"c{position}"
                        for position in range(len(columns))
                    ),
                ]
            )
            statement = f"SELECT json_group_array(json_array({values})) FROM ({branches})"
            try:
                return self.connection.execute(text(statement), parameters).scalar_one() or ""
            except OperationalError as error:
                # A library built without JSON functions (SQLITE_OMIT_JSON): read rows instead.
                if "json" not in str(error.orig):
                    raise
                self.as_json = False
        stand_in = _WITHOUT_JSON.get(id(query))
        if stand_in is not None:
            self.answered_without_json.add(query)
            return self._fetch(stand_in)
        return plain_rows(self.connection.execute(text(branches), parameters))


@dataclass
class _Packed:
    """A query's text values, NUL-separated, row after row."""

    text: str


def _read_statements(
    reader: _Reader, tables: dict[_TableKey, _Table], index_statements: dict[_TableKey, str]
) -> None:
    schemas = reader.schemas
    for number, kind, name, sql in reader.rows(_STATEMENTS_QUERY):
        if kind == "table" and not name.startswith("sqlite_"):
            tables[(schemas[number], name)] = _Table(schemas[number], name, sql or "")
        elif kind == "index" and sql:
            index_statements[(schemas[number], name)] = sql


def _read_columns(reader: _Reader, tables: dict[_TableKey, _Table]) -> None:
    # Each table's records are built by C-level iteration (one Python call per record, its
    # __init__): a loop over 67,000 rows in Python cost as much again.
    schemas = reader.schemas
    rows = reader.rows(_COLUMNS_BY_TABLE_QUERY)
    if _COLUMNS_BY_TABLE_QUERY in reader.answered_without_json:
        _read_column_rows(schemas, rows, tables)
        return
    for number, table_name, columns, key_positions, hidden in rows:
        table = tables.get((schemas[number], table_name))
        if table is None:
            continue
        table.columns = list(starmap(ColumnShape, columns))
        table.primary_key = list(
            zip(
                filter(None, key_positions),
                map(_FIRST, compress(columns, key_positions)),
                strict=True,
            )
        )
        _finish_columns(table, hidden)


def _read_column_rows(
    schemas: list[str], rows: list[Sequence[Any]], tables: dict[_TableKey, _Table]
) -> None:
    """The same from one row per column, where the library has no JSON functions."""
    # Each table's columns arrive together and in cid order: the join walks them that way.
    for (number, table_name), group in groupby(rows, itemgetter(0, 1)):
        table = tables.get((schemas[number], table_name))
        if table is None:
            continue
        table_rows = list(group)
        # Nullability comes as 1 / 0, not as the true / false that JSON carries.
        table.columns = [ColumnShape(row[2], row[3], bool(row[4]), row[5]) for row in table_rows]
        table.primary_key = [(row[6], row[2]) for row in table_rows if row[6]]
        _finish_columns(table, "".join(str(row[7]) for row in table_rows))


_FIRST = itemgetter(0)


def _finish_columns(table: _Table, hidden: str) -> None:
    """Generated columns and the rowid alias; ``hidden`` holds each column's flag, a digit."""
    if hidden.strip("0"):
        _read_generated_columns(table, hidden)
    if len(table.primary_key) == 1:
        # A single INTEGER PRIMARY KEY column is the rowid: SQLite numbers it on insert.
        name = table.primary_key[0][1]
        column = next(column for column in table.columns if column.name == name)
        if column.type.lower() == _ROWID_ALIAS_TYPE and not _without_rowid(table.sql):
            column.autoincrement = True


def _read_generated_columns(table: _Table, hidden: str) -> None:
    """A generated column (flag 2 or 3) has its GENERATED clause in its declared type; the
    expression is read from the CREATE statement."""
    for position, flag in enumerate(hidden):
        if flag in "23":
            column = table.columns[position]
            table.columns[position] = ColumnShape(
                column.name,
                _GENERATED_TYPE.sub("", column.type),
                column.nullable,
                column.default,
                False,
                _generated_expression(table.sql, column.name),
            )


def _without_rowid(sql: str) -> bool:
    # The clause can only follow the closing parenthesis of the column list.
    return _WITHOUT_ROWID.search(sql, max(0, sql.rfind(")"))) is not None


def _read_indexes(
    reader: _Reader, tables: dict[_TableKey, _Table], index_statements: dict[_TableKey, str]
) -> None:
    schemas = reader.schemas
    grouped: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in reader.rows(_INDEXES_QUERY):
        grouped[(schemas[row[0]], row[1], row[2])].append(row)
    for (schema, table_name, index_name), rows in grouped.items():
        table = tables.get((schema, table_name))
        if table is None:
            continue
        rows.sort(key=lambda row: row[6])
        unique, origin = bool(rows[0][3]), rows[0][4]
        columns = [row[8] if row[7] != -2 else None for row in rows]
        if origin == "pk":
            continue
        if origin == "u":
            names = _constraint_names(table, "UNIQUE")
            key = tuple(column or "" for column in columns)
            table.uniques.append(UniqueShape(names.get(key), key))
            continue
        partial = bool(rows[0][5])
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
        descending = tuple(bool(row[9]) for row in rows)
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


def _read_foreign_keys(reader: _Reader, tables: dict[_TableKey, _Table]) -> None:
    schemas = reader.schemas
    grouped: dict[tuple[str, str, int], list[Any]] = defaultdict(list)
    for row in reader.rows(_FOREIGN_KEYS_QUERY):
        grouped[(schemas[row[0]], row[1], row[2])].append(row)
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
    for match in _named_constraints(sql):
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


def _named_constraints(sql: str) -> Iterator[re.Match[str]]:
    """The ``CONSTRAINT name UNIQUE|FOREIGN KEY (`` clauses of a statement, in order."""
    upper = sql.upper()
    if len(upper) != len(sql):
        # Upper-casing changed the length (ß -> SS): positions in it are not the statement's.
        yield from _NAMED_CONSTRAINT.finditer(sql)
        return
    # The pattern is tried only where the keyword is: scanning every character of a thousand
    # statements with a case-blind pattern cost more than the rest of reading their indexes.
    position = upper.find("CONSTRAINT")
    while position >= 0:
        match = _NAMED_CONSTRAINT.match(sql, position)
        if match is not None:
            yield match
        position = upper.find("CONSTRAINT", match.end() if match else position + 1)


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

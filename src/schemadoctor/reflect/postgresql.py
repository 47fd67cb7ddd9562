"""Batched catalog reader for PostgreSQL: five pg_catalog queries whatever the number of tables
and schemas.

Every query takes all schema names at once (``= ANY(:schemas)``), so a thousand tenant schemas
cost the same five round trips as one. The facts match the reference reader (SQLAlchemy's
Inspector) after type parsing and default normalisation, with two deliberate differences: a
domain column reports its base type, and a foreign key names the schema that really holds the
referred table.

The rows carry table and type oids rather than names: a name repeated on each of 60,000 column
rows cost more to send and decode than the catalog took to read. Tables, and the few domain and
enum types, are named once by queries of their own.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.engine import Connection

from schemadoctor.reflect.rows import plain_rows
from schemadoctor.schema import (
    ColumnShape,
    EnumShape,
    ForeignKeyShape,
    IndexShape,
    SchemaShape,
    TableShape,
    UniqueShape,
)

_TableKey = tuple[str, str]

# Tables, partitioned tables and foreign tables, as the Inspector's ObjectKind.TABLE; partitions
# are ordinary tables ('r') and are reflected too. Views are left out.
_TABLE_KINDS = "c.relkind IN ('r', 'p', 'f') AND n.nspname = ANY(:schemas)"
_TABLE_FROM = "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"

_TABLES_QUERY = f"SELECT c.oid, n.nspname, c.relname FROM {_TABLE_FROM} WHERE {_TABLE_KINDS}"

# Sorted by the server, which does it while the models are described on another thread.
_COLUMNS_QUERY = f"""
SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       CASE WHEN a.atthasdef THEN pg_get_expr(d.adbin, d.adrelid) END,
       a.attidentity <> '', a.attgenerated <> '', a.atttypid
FROM {_TABLE_FROM}
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE {_TABLE_KINDS}
ORDER BY a.attrelid, a.attnum
"""

# Domains and enum types of every schema: a column's type may live outside the reflected ones.
_TYPES_QUERY = """
SELECT t.oid, t.typtype, n.nspname, t.typname, pg_type_is_visible(t.oid),
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
       t.typnotnull, t.typdefault,
       CASE WHEN t.typtype = 'e' THEN
            ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
                  ORDER BY e.enumsortorder) END
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('d', 'e')
ORDER BY n.nspname, t.typname
"""

# Key columns come as attribute numbers, named from the columns query; only a foreign key into a
# schema that is not being reflected needs its referred names looked up here. Exclusion
# constraints are read only for the index that backs them, which is no index of its own.
_CONSTRAINTS_QUERY = f"""
SELECT con.conrelid, con.conname, con.contype, con.conkey, con.confrelid, con.confkey,
       con.confdeltype, con.confupdtype, con.conindid,
       CASE WHEN con.contype = 'f' AND NOT rn.nspname = ANY(:schemas) THEN rn.nspname END,
       CASE WHEN con.contype = 'f' AND NOT rn.nspname = ANY(:schemas) THEN rc.relname END,
       CASE WHEN con.contype = 'f' AND NOT rn.nspname = ANY(:schemas) THEN
            ARRAY(SELECT a.attname::text
                  FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                  ORDER BY k.ord) END
FROM pg_constraint con
JOIN {_TABLE_FROM} ON c.oid = con.conrelid
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'x') AND {_TABLE_KINDS}
ORDER BY con.conrelid, con.conname
"""

# The index elements are key columns only (INCLUDE columns are not part of the index's meaning);
# an expression element's text is asked for only for the indexes that have one.
_INDEXES_QUERY = f"""
SELECT i.indrelid, ic.relname, i.indexrelid, i.indisunique, i.indkey::int2[], i.indnkeyatts,
       i.indoption::int2[],
       CASE WHEN i.indexprs IS NOT NULL THEN
            ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                  FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) END,
       pg_get_expr(i.indpred, i.indrelid)
FROM pg_index i
JOIN {_TABLE_FROM} ON c.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE NOT i.indisprimary AND {_TABLE_KINDS}
ORDER BY i.indrelid, ic.relname
"""

_ACTIONS = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _query(sql: str) -> Any:
    return text(sql).bindparams(bindparam("schemas", type_=ARRAY(TEXT)))


def reflect_schemas(
    connection: Connection, schemas: list[str], default_schema: str | None
) -> SchemaShape:
    """Reflect every table and enum type of the given schemas in five queries."""
    shape = SchemaShape(dialect="postgresql", default_schema=default_schema)
    if not schemas:
        return shape
    parameters = {"schemas": list(schemas)}

    def fetch(sql: str) -> list[Any]:
        return plain_rows(connection.execute(_query(sql), parameters))

    tables = {oid: (schema, name) for oid, schema, name in fetch(_TABLES_QUERY)}
    column_rows = fetch(_COLUMNS_QUERY)
    types = _Types(plain_rows(connection.execute(text(_TYPES_QUERY))))
    columns, names = _read_columns(column_rows, tables, types)
    constraints, backing = _read_constraints(fetch(_CONSTRAINTS_QUERY), tables, names)
    indexes = _read_indexes(fetch(_INDEXES_QUERY), names, backing)
    reflected = set(schemas)
    for (schema, name), labels in types.enums.items():
        if schema in reflected:
            shape.enums[(schema, name)] = EnumShape(name, schema, labels)

    for oid, key in sorted(tables.items(), key=lambda item: item[1]):
        primary_key, uniques, foreign_keys = constraints.get(oid, ((), [], []))
        shape.tables[key] = TableShape(
            key[1],
            key[0],
            tuple(columns.get(oid, ())),
            primary_key,
            tuple(indexes.get(oid, ())),
            tuple(uniques),
            tuple(foreign_keys),
        )
    return shape


class _Types:
    """The domains and enum types that columns may use, by type oid."""

    def __init__(self, rows: list[Any]) -> None:
        # oid -> (base type text, NOT NULL, default) of a domain.
        self.domains: dict[int, tuple[str, bool, str | None]] = {}
        # oid -> (name, schema, visible on the search path, labels) of an enum type.
        self.enum_types: dict[int, tuple[str, str, bool, tuple[str, ...]]] = {}
        self.enums: dict[tuple[str, str], tuple[str, ...]] = {}
        for oid, kind, schema, name, visible, base, not_null, default, labels in rows:
            if kind == "d":
                self.domains[oid] = (base, bool(not_null), default)
            else:
                self.enum_types[oid] = (name, schema, bool(visible), tuple(labels))
                self.enums[(schema, name)] = tuple(labels)


# Limitation: an enum type on the search path is reported in the table's schema, as the reference
# reader does, even when it lives elsewhere (public.mood used by tenant.t) — reporting the type's
# own schema on both readers and in describe.py would lift it.
def _read_columns(
    rows: list[Any], tables: dict[int, _TableKey], types: _Types
) -> tuple[dict[int, list[ColumnShape]], dict[int, dict[int, str]]]:
    """Each table's columns in order, and its column names by attribute number."""
    columns: dict[int, list[ColumnShape]] = {}
    names: dict[int, dict[int, str]] = {}
    special = types.domains.keys() | types.enum_types.keys()
    table_oid = None
    table_columns: list[ColumnShape] = []
    table_names: dict[int, str] = {}
    for oid, attnum, name, type_text, not_null, default, identity, generated, type_oid in rows:
        if oid != table_oid:
            table_oid = oid
            table_columns = columns[oid] = []
            table_names = names[oid] = {}
        table_names[attnum] = name
        enum_name = enum_schema = labels = None
        if type_oid in special:
            domain = types.domains.get(type_oid)
            if domain is not None:
                # The catalog's facts of a domain column are its base type's, NOT NULL, default.
                type_text, domain_not_null, domain_default = domain
                not_null = not_null or domain_not_null
                if default is None:
                    default = domain_default
            else:
                enum_name, type_schema, visible, labels = types.enum_types[type_oid]
                enum_schema = tables[oid][0] if visible else type_schema
        # A serial column's nextval() default is how it numbers rows, not a default to compare.
        autoincrement = identity or (default is not None and default[:8].lower() == "nextval(")
        # Positional, in ColumnShape's field order: keywords cost twice as much per record.
        table_columns.append(
            ColumnShape(
                name,
                type_text,
                not not_null,
                None if generated or autoincrement else default,
                autoincrement,
                default if generated else None,
                enum_name,
                enum_schema,
                labels,
            )
        )
    return columns, names


_Constraints = tuple[tuple[str, ...], list[UniqueShape], list[ForeignKeyShape]]


def _read_constraints(
    rows: list[Any], tables: dict[int, _TableKey], names: dict[int, dict[int, str]]
) -> tuple[dict[int, _Constraints], set[int]]:
    """Each table's primary key, uniques and foreign keys; the oids of the indexes they own."""
    constraints: dict[int, _Constraints] = {}
    backing: set[int] = set()
    for row in rows:
        oid, name, kind, attnums, referred_oid, referred_attnums, ondelete, onupdate = row[:8]
        index_oid, outside_schema, outside_table, outside_columns = row[8:]
        if kind in ("p", "u", "x"):
            backing.add(index_oid)
        if kind == "x":
            continue
        table = constraints.get(oid)
        if table is None:
            table = constraints[oid] = ((), [], [])
        column_names = names.get(oid, {})
        columns = tuple(column_names[attnum] for attnum in attnums)
        if kind == "p":
            constraints[oid] = (columns, table[1], table[2])
        elif kind == "u":
            table[1].append(UniqueShape(name, columns))
        else:
            if outside_table is not None:
                referred_schema, referred_table = outside_schema, outside_table
                referred_columns = tuple(outside_columns)
            else:
                referred_schema, referred_table = tables[referred_oid]
                referred = names[referred_oid]
                referred_columns = tuple(referred[attnum] for attnum in referred_attnums)
            table[2].append(
                ForeignKeyShape(
                    name,
                    columns,
                    referred_schema,
                    referred_table,
                    referred_columns,
                    _ACTIONS.get(ondelete),
                    _ACTIONS.get(onupdate),
                )
            )
    return constraints, backing


def _read_indexes(
    rows: list[Any], names: dict[int, dict[int, str]], backing: set[int]
) -> dict[int, list[IndexShape]]:
    """Each table's indexes, leaving out those that back a constraint."""
    indexes: dict[int, list[IndexShape]] = defaultdict(list)
    for oid, name, index_oid, unique, attnums, key_count, options, elements, where in rows:
        if index_oid in backing:
            continue
        column_names = names.get(oid, {})
        key_attnums = attnums[:key_count]
        columns = tuple(column_names[attnum] if attnum else None for attnum in key_attnums)
        expressions = ()
        if elements is not None:
            expressions = tuple(
                element for element, attnum in zip(elements, key_attnums, strict=True) if not attnum
            )
        # Bit 1 of indoption is DESC for that key column.
        descending = tuple(bool(flags & 1) for flags in (options or ())[:key_count])
        indexes[oid].append(
            IndexShape(
                name,
                columns,
                bool(unique),
                expressions,
                descending if any(descending) else (),
                where,
            )
        )
    return indexes

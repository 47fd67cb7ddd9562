"""Batched catalog reader for PostgreSQL: four pg_catalog queries whatever the number of
tables and schemas.

Every query takes all schema names at once (``= ANY(:schemas)``), so a thousand tenant schemas
cost the same four round trips as one. The facts match the reference reader (SQLAlchemy's
Inspector) after type parsing and default normalisation, with two deliberate differences: a
domain column reports its base type, and a foreign key names the schema that really holds the
referred table.
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

_COLUMNS_QUERY = f"""
SELECT n.nspname, c.relname, a.attname,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)
            ELSE format_type(a.atttypid, a.atttypmod) END,
       a.attnotnull OR coalesce(t.typtype = 'd' AND t.typnotnull, false),
       CASE WHEN a.atthasdef THEN pg_get_expr(d.adbin, d.adrelid)
            WHEN t.typtype = 'd' THEN t.typdefault END,
       a.attidentity <> '', a.attgenerated <> '',
       CASE WHEN t.typtype = 'e' THEN t.typname END,
       CASE WHEN t.typtype = 'e' THEN
            CASE WHEN pg_type_is_visible(t.oid) THEN n.nspname ELSE tn.nspname END END,
       CASE WHEN t.typtype = 'e' THEN
            ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
                  ORDER BY e.enumsortorder) END,
       c.oid, a.attnum
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_namespace tn ON tn.oid = t.typnamespace
WHERE {_TABLE_KINDS}
ORDER BY n.nspname, c.relname, a.attnum
"""

# Key columns come as attribute numbers, named from the columns query; only a foreign key into a
# schema that is not being reflected needs its referred names looked up here.
_CONSTRAINTS_QUERY = f"""
SELECT n.nspname, c.relname, con.conname, con.contype, con.conrelid, con.conkey,
       rn.nspname, rc.relname, con.confrelid, con.confkey,
       CASE WHEN con.contype = 'f' AND NOT rn.nspname = ANY(:schemas) THEN
            ARRAY(SELECT a.attname::text
                  FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                  ORDER BY k.ord) END,
       con.confdeltype, con.confupdtype
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p', 'u', 'f') AND {_TABLE_KINDS}
ORDER BY n.nspname, c.relname, con.conname
"""

# The index elements are key columns only (INCLUDE columns are not part of the index's meaning);
# indexes that back a primary key, unique or exclusion constraint are constraints, not indexes.
_INDEXES_QUERY = f"""
SELECT n.nspname, c.relname, ic.relname, i.indisunique,
       ARRAY(SELECT CASE WHEN k.attnum = 0
                         THEN pg_get_indexdef(i.indexrelid, k.ord::int, true)
                         ELSE a.attname::text END
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= i.indnkeyatts ORDER BY k.ord),
       ARRAY(SELECT k.attnum = 0
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             WHERE k.ord <= i.indnkeyatts ORDER BY k.ord),
       i.indoption::int2[],
       pg_get_expr(i.indpred, i.indrelid)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE NOT i.indisprimary AND {_TABLE_KINDS}
  AND NOT EXISTS (SELECT 1 FROM pg_constraint x
                  WHERE x.conrelid = i.indrelid AND x.conindid = i.indexrelid
                    AND x.contype IN ('p', 'u', 'x'))
ORDER BY n.nspname, c.relname, ic.relname
"""

_ENUMS_QUERY = """
SELECT n.nspname, t.typname,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
             ORDER BY e.enumsortorder)
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND n.nspname = ANY(:schemas)
ORDER BY n.nspname, t.typname
"""

_ACTIONS = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _query(sql: str) -> Any:
    return text(sql).bindparams(bindparam("schemas", type_=ARRAY(TEXT)))


def reflect_schemas(
    connection: Connection, schemas: list[str], default_schema: str | None
) -> SchemaShape:
    """Reflect every table and enum type of the given schemas in four queries."""
    shape = SchemaShape(dialect="postgresql", default_schema=default_schema)
    if not schemas:
        return shape
    parameters = {"schemas": list(schemas)}

    columns, attribute_names = _read_columns(connection, parameters)
    constraints = _read_constraints(connection, parameters, attribute_names)
    indexes = _read_indexes(connection, parameters)
    for schema, name, labels in connection.execute(_query(_ENUMS_QUERY), parameters):
        shape.enums[(schema, name)] = EnumShape(name, schema, tuple(labels))

    for key, table_columns in columns.items():
        primary_key, uniques, foreign_keys = constraints.get(key, ((), [], []))
        shape.tables[key] = TableShape(
            name=key[1],
            schema=key[0],
            columns=tuple(table_columns),
            primary_key=primary_key,
            indexes=tuple(indexes.get(key, ())),
            uniques=tuple(uniques),
            foreign_keys=tuple(foreign_keys),
        )
    return shape


# Limitation: an enum type on the search path is reported in the table's schema, as the reference
# reader does, even when it lives elsewhere (public.mood used by tenant.t) — reporting the type's
# own schema on both readers and in describe.py would lift it.
def _read_columns(
    connection: Connection, parameters: dict[str, Any]
) -> tuple[dict[_TableKey, list[ColumnShape]], dict[tuple[int, int], str]]:
    columns: dict[_TableKey, list[ColumnShape]] = {}
    attribute_names: dict[tuple[int, int], str] = {}
    for row in plain_rows(connection.execute(_query(_COLUMNS_QUERY), parameters)):
        schema, table, name, type_text, not_null, default, identity, generated = row[:8]
        enum_name, enum_schema, enum_labels, table_oid, attnum = row[8:13]
        table_columns = columns.setdefault((schema, table), [])
        if name is None:
            continue
        attribute_names[(table_oid, attnum)] = name
        # A serial column's nextval() default is how it numbers rows, not a default to compare.
        autoincrement = bool(identity) or (
            default is not None and default.lower().startswith("nextval(")
        )
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
                tuple(enum_labels) if enum_labels is not None else None,
            )
        )
    return columns, attribute_names


def _read_constraints(
    connection: Connection, parameters: dict[str, Any], names: dict[tuple[int, int], str]
) -> dict[_TableKey, tuple[tuple[str, ...], list[UniqueShape], list[ForeignKeyShape]]]:
    primary_keys: dict[_TableKey, tuple[str, ...]] = {}
    uniques: dict[_TableKey, list[UniqueShape]] = defaultdict(list)
    foreign_keys: dict[_TableKey, list[ForeignKeyShape]] = defaultdict(list)
    for row in plain_rows(connection.execute(_query(_CONSTRAINTS_QUERY), parameters)):
        schema, table, name, kind, table_oid, attnums = row[:6]
        columns = tuple(names[(table_oid, attnum)] for attnum in attnums)
        key = (schema, table)
        if kind == "p":
            primary_keys[key] = columns
        elif kind == "u":
            uniques[key].append(UniqueShape(name, columns))
        else:
            referred_schema, referred_table, referred_oid, referred_attnums = row[6:10]
            referred_names, ondelete, onupdate = row[10:]
            if referred_names is None:
                referred_names = [names[(referred_oid, attnum)] for attnum in referred_attnums]
            foreign_keys[key].append(
                ForeignKeyShape(
                    name=name,
                    columns=columns,
                    referred_schema=referred_schema,
                    referred_table=referred_table,
                    referred_columns=tuple(referred_names),
                    ondelete=_ACTIONS.get(ondelete),
                    onupdate=_ACTIONS.get(onupdate),
                )
            )
    keys = set(primary_keys) | set(uniques) | set(foreign_keys)
    return {
        key: (primary_keys.get(key, ()), uniques.get(key, []), foreign_keys.get(key, []))
        for key in keys
    }


def _read_indexes(
    connection: Connection, parameters: dict[str, Any]
) -> dict[_TableKey, list[IndexShape]]:
    indexes: dict[_TableKey, list[IndexShape]] = defaultdict(list)
    rows = plain_rows(connection.execute(_query(_INDEXES_QUERY), parameters))
    for schema, table, name, unique, elements, is_expression, options, where in rows:
        columns = tuple(
            None if expression else element
            for element, expression in zip(elements, is_expression, strict=True)
        )
        # Bit 1 of indoption is DESC for that key column.
        descending = tuple(bool(flags & 1) for flags in (options or ())[: len(columns)])
        indexes[(schema, table)].append(
            IndexShape(
                name=name,
                columns=columns,
                unique=bool(unique),
                expressions=tuple(
                    element
                    for element, expression in zip(elements, is_expression, strict=True)
                    if expression
                ),
                descending=descending if any(descending) else (),
                where=where,
            )
        )
    return indexes

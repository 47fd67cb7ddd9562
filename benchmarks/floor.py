"""The floor: raw catalog queries that fetch the facts a check compares, and nothing else.

Columns (type, nullability, default, identity, generated), keys and unique constraints, indexes
(elements, uniqueness, order, predicate) and foreign keys (columns, target, actions), for every
table of the given schemas at once. The rows are fetched and dropped: no Python objects are
built from them, so this is what any reader of the same facts must at least pay.
"""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.engine import Connection

POSTGRESQL = (
    """
    SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(:schemas)
    """,
    """
    SELECT c.relname, con.conname, con.contype, con.conkey, con.confrelid::regclass::text,
           con.confkey, con.confdeltype, con.confupdtype
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE con.contype IN ('p', 'u', 'f') AND n.nspname = ANY(:schemas)
    """,
    """
    SELECT c.relname, ic.relname, i.indisunique, i.indisprimary, i.indkey::int2[],
           i.indoption::int2[], pg_get_expr(i.indexprs, i.indrelid),
           pg_get_expr(i.indpred, i.indrelid)
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(:schemas)
    """,
)

MYSQL = (
    """
    SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA,
           GENERATION_EXPRESSION
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN :schemas
    """,
    """
    SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, SUB_PART
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA IN :schemas
    """,
    """
    SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA,
           REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
    FROM information_schema.KEY_COLUMN_USAGE
    WHERE TABLE_SCHEMA IN :schemas AND REFERENCED_TABLE_NAME IS NOT NULL
    """,
    """
    SELECT TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE
    FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN :schemas
    """,
)

# MariaDB keeps JSON as LONGTEXT plus CHECK (json_valid(...)): that fact is in the checks.
MARIADB_CHECKS = """
    SELECT TABLE_NAME, CHECK_CLAUSE
    FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN :schemas
"""

SQLITE = (
    'SELECT m.name, c.name, c.type, c."notnull", c.dflt_value, c.pk, c.hidden '
    "FROM sqlite_schema m JOIN pragma_table_xinfo(m.name) c WHERE m.type = 'table'",
    'SELECT m.name, i.name, i."unique", i.origin, i.partial, x.seqno, x.name, x."desc" '
    "FROM sqlite_schema m JOIN pragma_index_list(m.name) i "
    "JOIN pragma_index_xinfo(i.name) x WHERE m.type = 'table' AND x.key = 1",
    'SELECT m.name, f.id, f.seq, f."table", f."from", f."to", f.on_update, f.on_delete '
    "FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
    # Constraint names (PostgreSQL's and MySQL's floors read them too), generated columns'
    # expressions, expression elements and partial predicates are only in the CREATE texts.
    "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL",
)


def fetch_floor(connection: Connection, schemas: list[str]) -> int:
    """Run the floor's queries for ``schemas``; the number of rows fetched."""
    dialect = connection.dialect.name
    rows = 0
    if dialect == "postgresql":
        for sql in POSTGRESQL:
            query = text(sql).bindparams(bindparam("schemas", type_=ARRAY(TEXT)))
            rows += len(connection.execute(query, {"schemas": schemas}).fetchall())
    elif dialect in ("mysql", "mariadb"):
        queries = list(MYSQL)
        if getattr(connection.dialect, "is_mariadb", False):
            queries.append(MARIADB_CHECKS)
        for sql in queries:
            query = text(sql).bindparams(bindparam("schemas", expanding=True))
            rows += len(connection.execute(query, {"schemas": schemas}).fetchall())
    else:
        for sql in SQLITE:
            rows += len(connection.exec_driver_sql(sql).fetchall())
    return rows

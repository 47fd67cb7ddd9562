"""Build (once) and reuse the benchmark databases: one per dialect and size, named by size.

A database is built from the generated models in as few transactions as the server allows,
with the DDL compiled once and sent in batches, and is kept between runs: its name carries
the number of tables and the generator's fingerprint, so it is rebuilt only when it is
absent, incomplete, or the generator changed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import MetaData, Table, UniqueConstraint, create_engine, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.schema import CreateIndex, CreateTable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth

from schemadoctor.connect import parse_url

# Relations created per PostgreSQL transaction: each holds a lock until COMMIT, and the lock
# table holds max_locks_per_transaction x max_connections (6,400 by default).
PG_TABLES_PER_TRANSACTION = 250

# Drift put into the tenant database, so that the report has something to name.
TENANT_DRIFT = {
    "tenant_0007": "ALTER TABLE order_0001 DROP COLUMN notes_0",
    "tenant_0123": "ALTER TABLE account_0000 ALTER COLUMN label_3 TYPE varchar(30)",
    "tenant_0777": "DROP INDEX ix_product_0005_customer_0004_id",
}


def models_path(cache: Path, count: int) -> Path:
    """The generated models module for ``count`` tables (written if absent)."""
    path = cache / f"models_t{count}_{synth.fingerprint()}.py"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(synth.model_source(count), encoding="utf-8")
        os.replace(partial, path)
    return path


def load_metadata(path: Path) -> MetaData:
    """Import a generated models module and return its MetaData."""
    from schemadoctor.load import load_models

    return load_models([str(path)]).metadata[0]


def database_name(label: str) -> str:
    """The cached database's name for a label such as ``t3000`` or ``tenants_1000x20``."""
    return f"sdbench_{label}_{synth.fingerprint()}"


def ensure_database(dialect: str, admin_url: str, cache: Path, count: int) -> str:
    """The URL of a database holding the ``count``-table models, built if needed."""
    name = database_name(f"t{count}")
    metadata = load_metadata(models_path(cache, count))
    if dialect == "sqlite":
        return _ensure_sqlite(cache / f"{name}.db", metadata)
    if dialect == "postgresql":
        return _ensure_postgresql(admin_url, name, metadata, schemas=None)
    return _ensure_mysql(admin_url, name, metadata)


def ensure_tenants(admin_url: str, cache: Path, tenants: int, tables: int) -> str:
    """The URL of a PostgreSQL database with ``tenants`` schemas of the ``tables`` models."""
    name = database_name(f"tenants_{tenants}x{tables}")
    metadata = load_metadata(models_path(cache, tables))
    schemas = [f"tenant_{number:04d}" for number in range(tenants)]
    return _ensure_postgresql(admin_url, name, metadata, schemas=schemas)


def tenant_schemas(tenants: int) -> list[str]:
    """The tenant schema names, in order."""
    return [f"tenant_{number:04d}" for number in range(tenants)]


def _ddl(metadata: MetaData, engine: Engine) -> Iterator[list[str]]:
    """CREATE TABLE and CREATE INDEX statements, one list per table, in dependency order."""
    for table in metadata.sorted_tables:
        statements = [str(CreateTable(table).compile(dialect=engine.dialect)).strip()]
        for index in sorted(table.indexes, key=lambda index: index.name or ""):
            statements.append(str(CreateIndex(index).compile(dialect=engine.dialect)).strip())
        yield statements


def _log(message: str) -> None:
    print(f"[build] {message}", file=sys.stderr, flush=True)


def _ensure_sqlite(path: Path, metadata: MetaData) -> str:
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    started = time.perf_counter()
    partial = path.with_suffix(".tmp")
    partial.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{partial}")
    script = ";\n".join(s for statements in _ddl(metadata, engine) for s in statements)
    raw = engine.raw_connection()
    try:
        raw.driver_connection.executescript(f"BEGIN;\n{script};\nCOMMIT;")  # type: ignore[union-attr]
    finally:
        raw.close()
        engine.dispose()
    os.replace(partial, path)
    _log(f"built {path.name} in {time.perf_counter() - started:.1f} s")
    return url


def _server_url(admin_url: str, name: str) -> str:
    url: URL = parse_url(admin_url).set(database=name)
    return url.render_as_string(hide_password=False)


def _ensure_postgresql(
    admin_url: str, name: str, metadata: MetaData, schemas: list[str] | None
) -> str:
    admin = create_engine(parse_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        existing = set(connection.exec_driver_sql("SELECT datname FROM pg_database").scalars())
        if name in existing:
            admin.dispose()
            return _server_url(admin_url, name)
        partial = f"{name}_partial"
        connection.execute(text(f'DROP DATABASE IF EXISTS "{partial}"'))
        connection.execute(text(f'CREATE DATABASE "{partial}"'))

    started = time.perf_counter()
    engine = create_engine(parse_url(_server_url(admin_url, partial)))
    try:
        _fill_postgresql(engine, metadata, schemas)
    finally:
        engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{partial}" RENAME TO "{name}"'))
    admin.dispose()
    _log(f"built {name} in {time.perf_counter() - started:.1f} s")
    return _server_url(admin_url, name)


def _fill_postgresql(engine: Engine, metadata: MetaData, schemas: list[str] | None) -> None:
    tables = [";\n".join(statements) for statements in _ddl(metadata, engine)]
    enum = "CREATE TYPE bench_status AS ENUM ('draft', 'active', 'archived')"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if schemas is None:
            cursor.execute(enum)
            for start in range(0, len(tables), PG_TABLES_PER_TRANSACTION):
                cursor.execute(";\n".join(tables[start : start + PG_TABLES_PER_TRANSACTION]))
                raw.commit()
            return
        per_transaction = max(1, PG_TABLES_PER_TRANSACTION // len(tables))
        for position, schema in enumerate(schemas, start=1):
            cursor.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"')
            cursor.execute(";\n".join([enum, *tables]))
            if schema in TENANT_DRIFT:
                cursor.execute(TENANT_DRIFT[schema])
            if position % per_transaction == 0 or position == len(schemas):
                raw.commit()
            if position % 100 == 0:
                _log(f"{position} of {len(schemas)} schemas")
    finally:
        raw.close()


def _ensure_mysql(admin_url: str, name: str, metadata: MetaData) -> str:
    expected_tables = len(metadata.tables)
    # Every table has its primary key plus its own indexes and unique constraints.
    expected_indexes = sum(
        1 + len(table.indexes) + sum(isinstance(c, UniqueConstraint) for c in table.constraints)
        for table in metadata.tables.values()
    )
    admin = create_engine(parse_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        tables, indexes = connection.execute(
            text(
                "SELECT COUNT(DISTINCT TABLE_NAME), COUNT(DISTINCT TABLE_NAME, INDEX_NAME) "
                "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = :name"
            ),
            {"name": name},
        ).one()
        if tables == expected_tables and indexes >= expected_indexes:
            admin.dispose()
            return _server_url(admin_url, name)
        connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))

    started = time.perf_counter()
    engine = create_engine(parse_url(_server_url(admin_url, name)))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET foreign_key_checks = 0")
        for table in metadata.sorted_tables:
            cursor.execute(_mysql_create_table(table, engine))
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    admin.dispose()
    _log(f"built {name} in {time.perf_counter() - started:.1f} s")
    return _server_url(admin_url, name)


def _mysql_create_table(table: Table, engine: Engine) -> str:
    """CREATE TABLE with the indexes inline: one statement per table instead of one each."""
    create = str(CreateTable(table).compile(dialect=engine.dialect)).strip()
    assert create.endswith(")"), create
    indexes = [
        f"{'UNIQUE ' if index.unique else ''}INDEX `{index.name}` "
        f"({', '.join(f'`{column.name}`' for column in index.columns)})"
        for index in sorted(table.indexes, key=lambda index: index.name or "")
    ]
    if not indexes:
        return create
    return create[:-1].rstrip() + ",\n\t" + ",\n\t".join(indexes) + "\n)"

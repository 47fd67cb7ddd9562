"""Compare the models' shapes with the database's shapes. Pure: no I/O, no SQLAlchemy objects."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from schemadoctor.compare.columns import compare_columns
from schemadoctor.compare.enums import compare_enums
from schemadoctor.compare.indexes import compare_indexes
from schemadoctor.compare.keys import compare_foreign_keys, compare_primary_key, compare_uniques
from schemadoctor.findings import Finding, Kind, Severity
from schemadoctor.schema import SchemaShape, TableShape

ALWAYS_IGNORED = ("alembic_version",)


@dataclass(frozen=True)
class CompareOptions:
    """What to leave out of the comparison."""

    exclude_tables: tuple[str, ...] = ()
    include_tables: tuple[str, ...] = ()


def is_excluded(schema: str | None, table: str, options: CompareOptions) -> bool:
    """True when the table is never compared (alembic_version, --exclude-table globs)."""
    if table in ALWAYS_IGNORED:
        return True
    qualified = f"{schema}.{table}" if schema else table
    if any(
        fnmatch.fnmatchcase(name, glob)
        for glob in options.exclude_tables
        for name in (table, qualified)
    ):
        return True
    if options.include_tables:
        return not any(
            fnmatch.fnmatchcase(name, glob)
            for glob in options.include_tables
            for name in (table, qualified)
        )
    return False


def compare_schemas(
    model: SchemaShape, db: SchemaShape, options: CompareOptions | None = None
) -> list[Finding]:
    """Every difference between the models and the database, one finding each."""
    options = options or CompareOptions()
    dialect = db.dialect
    findings: list[Finding] = []
    in_sync: set[tuple[object, ...]] = set()

    for key, model_table in model.tables.items():
        if is_excluded(key[0], key[1], options):
            continue
        db_table = db.tables.get(key)
        if db_table is None:
            findings.append(_missing_table(model_table))
            continue
        findings.extend(compare_table(dialect, model_table, db_table, model, db, in_sync))

    model_schemas = {schema for schema, _ in model.tables}
    for key, db_table in db.tables.items():
        if key in model.tables or is_excluded(key[0], key[1], options):
            continue
        if key[0] in model_schemas or not model.tables:
            findings.append(_extra_table(db_table))

    findings.extend(compare_enums(model, db))
    return sort_findings(findings)


def compare_table(
    dialect: str,
    model: TableShape,
    db: TableShape,
    model_schema: SchemaShape,
    db_schema: SchemaShape,
    in_sync: set[tuple[object, ...]] | None = None,
) -> Iterable[Finding]:
    """The differences within one table that exists on both sides."""
    yield from compare_columns(dialect, model, db, model_schema, db_schema, in_sync)
    yield from compare_primary_key(model, db)
    yield from compare_uniques(dialect, model, db)
    yield from compare_indexes(dialect, model, db, db_schema.warnings)
    yield from compare_foreign_keys(dialect, model, db)


_KIND_ORDER = {kind: index for index, kind in enumerate(Kind)}


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """A stable order: by schema, table, then kind, column and name."""
    return sorted(
        findings,
        key=lambda f: (f.schema or "", f.table, _KIND_ORDER[f.kind], f.column or "", f.name or ""),
    )


def _missing_table(table: TableShape) -> Finding:
    return Finding(
        kind=Kind.MISSING_TABLE,
        severity=Severity.ERROR,
        schema=table.schema,
        table=table.name,
        message=f"Table {table.name} is in the models but not in the database.",
        hint="Run the migration that creates it, or `schemadoctor fix` to create it.",
        expected="table",
        actual=None,
        location=table.location,
    )


def _extra_table(table: TableShape) -> Finding:
    return Finding(
        kind=Kind.EXTRA_TABLE,
        severity=Severity.INFO,
        schema=table.schema,
        table=table.name,
        message=f"Table {table.name} is in the database but not in the models.",
        hint="Harmless to the application; drop it or exclude it with --exclude-table.",
        expected=None,
        actual="table",
    )

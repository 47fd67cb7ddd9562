"""The library API: ``check()`` runs load → reflect → compare and returns a Report."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import SQLAlchemyError

from schemadoctor.compare import CompareOptions, compare_schemas, is_excluded
from schemadoctor.config import IgnoreRule, apply_ignore_rules
from schemadoctor.connect import Database, Timeouts, describe_database_error, open_database
from schemadoctor.describe import describe_models
from schemadoctor.diagnose import diagnose_report
from schemadoctor.errors import ModelsLoadError, SchemaDoctorError
from schemadoctor.findings import Finding, Report, Severity
from schemadoctor.load import LoadedModels, load_models
from schemadoctor.migrations import MigrationScripts, MigrationState, load_scripts
from schemadoctor.probe import ProbeResult, probe_targets
from schemadoctor.reflect import (
    default_schema_of,
    list_schemas,
    reflect_connection,
    resolve_schemas,
)
from schemadoctor.schema import SchemaShape
from schemadoctor.snapshot import Snapshot, resolve_snapshot_schemas

logger = logging.getLogger(__name__)


@dataclass
class CheckRequest:
    """Everything a check needs besides the models and the database."""

    schemas: Sequence[str] = ()
    exclude_tables: Sequence[str] = ()
    include_tables: Sequence[str] = ()
    fail_on: Severity = Severity.WARNING
    timeouts: Timeouts = field(default_factory=Timeouts)


def as_models(models: LoadedModels | MetaData | Sequence[str] | str) -> LoadedModels:
    """Models from loaded models, a MetaData, or ``--models`` targets."""
    if isinstance(models, LoadedModels):
        return models
    if isinstance(models, MetaData):
        if not models.tables:
            raise ModelsLoadError("The MetaData defines no tables; there is nothing to check.")
        return LoadedModels(metadata=[models], targets=[])
    if isinstance(models, str):
        return load_models([models])
    return load_models(list(models))


def as_database(db: Database | Engine | str, timeouts: Timeouts | None = None) -> Database:
    """A Database from a Database, an Engine or a URL (opened read-only)."""
    if isinstance(db, Database):
        return db
    if isinstance(db, Engine):
        return Database(engine=db, url=db.url, read_only=True, timeouts=timeouts or Timeouts())
    return open_database(db, read_only=True, timeouts=timeouts)


def model_schemas(models: LoadedModels) -> set[str]:
    """The schemas that the models name explicitly with ``Table.schema``."""
    return {table.schema for table in models.tables if table.schema}


def reflect_for_models(
    connection: Connection, models: LoadedModels, requested: Sequence[str]
) -> tuple[SchemaShape, list[str], list[str]]:
    """Reflect the schemas the check needs: targets (default or --schema) and explicit ones."""
    default_schema = default_schema_of(connection)
    targets = resolve_schemas(connection, list(requested) or [None], default_schema)
    available = set(list_schemas(connection))
    explicit = sorted(model_schemas(models) - set(targets))
    absent = [schema for schema in explicit if schema not in available]
    needed = targets + [schema for schema in explicit if schema in available]
    db_shape = reflect_connection(connection, needed, default_schema)
    for schema in absent:
        db_shape.warnings.append(
            f"The schema {schema!r} that the models use does not exist in the database; "
            "its tables are reported missing."
        )
    return db_shape, targets, explicit


def compare_models(
    models: LoadedModels,
    db_shape: SchemaShape,
    dialect: object,
    targets: Sequence[str],
    explicit: Sequence[str],
    options: CompareOptions,
) -> list[Finding]:
    """Compare the models with every target schema; explicitly placed tables only once."""
    findings: list[Finding] = []
    for position, target in enumerate(targets):
        model_shape = describe_models(models, dialect, target)  # type: ignore[arg-type]
        if position:
            model_shape.tables = {
                key: table for key, table in model_shape.tables.items() if key[0] not in explicit
            }
        in_scope = {target, *explicit} if position == 0 else {target}
        db_part = SchemaShape(
            dialect=db_shape.dialect,
            default_schema=db_shape.default_schema,
            tables={k: t for k, t in db_shape.tables.items() if k[0] in in_scope},
            enums={k: e for k, e in db_shape.enums.items() if k[0] in in_scope},
        )
        findings.extend(compare_schemas(model_shape, db_part, options))
        db_shape.warnings.extend(w for w in model_shape.warnings if w not in db_shape.warnings)
        db_shape.warnings.extend(w for w in db_part.warnings if w not in db_shape.warnings)
    return findings


def check(
    models: LoadedModels | MetaData | Sequence[str] | str,
    db: Database | Engine | str | Snapshot,
    *,
    schemas: Sequence[str] = (),
    exclude_tables: Sequence[str] = (),
    include_tables: Sequence[str] = (),
    fail_on: Severity | str = Severity.WARNING,
    timeouts: Timeouts | None = None,
    ignore: Sequence[IgnoreRule] = (),
    today: datetime.date | None = None,
    alembic_config: str | Path | None = None,
    probe: bool = False,
) -> Report:
    """Compare the models with the live database (or a snapshot) and return the report.

    ``models`` is a MetaData or ``--models`` targets; ``db`` an Engine, a URL, a Database or a
    Snapshot (then nothing connects). Nothing is written: the database is read in a read-only
    transaction. Findings that an ``ignore`` rule matches move to ``Report.ignored``.
    With ``alembic_config`` each finding gets its cause from the migration history; with
    ``probe`` every mapped table is queried (both need the live database).
    """
    loaded = as_models(models)
    options = CompareOptions(tuple(exclude_tables), tuple(include_tables))
    scripts = load_scripts(Path(alembic_config)) if alembic_config else None
    if not isinstance(db, Snapshot):
        db = as_database(db, timeouts)

    db_side = read_db_side(db, loaded, schemas, timeouts)

    findings = compare_models(
        loaded, db_side.shape, db_side.dialect, db_side.targets, db_side.explicit, options
    )
    live = LiveExamination(None, None)
    if isinstance(db, Database) and (scripts is not None or probe):
        live = examine_live(db, scripts, probe, loaded, db_side, options, findings)
        findings = live.findings or findings
    elif scripts is not None or probe:
        db_side.shape.warnings.append(
            "Causes and probes need the live database; they were skipped for the snapshot."
        )
    outcome = apply_ignore_rules(findings, ignore, today)
    return Report(
        dialect=db_side.shape.dialect,
        url=db_side.label,
        findings=outcome.findings,
        fail_on=Severity(fail_on),
        warnings=db_side.shape.warnings + outcome.notes,
        schemas=list(db_side.targets),
        ignored=outcome.ignored,
        tables=compared_tables(loaded, db_side, findings, options),
        models_path=next((m.__file__ for m in loaded.modules if m.__file__), None),
        migrations=live.migrations,
        probes=live.probes,
    )


@dataclass
class LiveExamination:
    """What the live database adds to a check: causes and the migration state, probes."""

    migrations: MigrationState | None
    probes: list[ProbeResult] | None
    findings: list[Finding] | None = None


def examine_live(
    database: Database,
    scripts: MigrationScripts | None,
    probe: bool,
    models: LoadedModels,
    db_side: DbSide,
    options: CompareOptions,
    findings: list[Finding],
) -> LiveExamination:
    """Diagnose the causes and run the probes, in one more read-only transaction."""
    result = LiveExamination(None, None)
    try:
        with database.connect() as connection:
            if scripts is not None:
                result.migrations, result.findings = diagnose_report(
                    connection,
                    scripts,
                    models,
                    db_side.shape,
                    db_side.targets,
                    db_side.explicit,
                    options,
                    findings,
                )
            if probe:
                result.probes = probe_targets(
                    connection, models, db_side.shape, db_side.targets, options
                )
    except SchemaDoctorError:
        raise
    except SQLAlchemyError as error:
        raise describe_database_error(error, database.url, "Diagnosing the causes") from error
    return result


@dataclass
class DbSide:
    """The database's side of a check: its shape, the schemas to compare and its dialect."""

    shape: SchemaShape
    targets: list[str]
    explicit: list[str]
    dialect: Dialect
    label: str


def read_db_side(
    db: Database | Engine | str | Snapshot,
    models: LoadedModels,
    schemas: Sequence[str],
    timeouts: Timeouts | None = None,
) -> DbSide:
    """Reflect the live database, or take the same shapes from a snapshot without connecting."""
    if isinstance(db, Snapshot):
        return snapshot_side(db, models, schemas)
    database = as_database(db, timeouts)
    try:
        with database.connect() as connection:
            db_shape, targets, explicit = reflect_for_models(connection, models, schemas)
            dialect = connection.dialect
    except SchemaDoctorError:
        raise
    except SQLAlchemyError as error:
        raise describe_database_error(error, database.url, "Reading the database schema") from error
    return DbSide(db_shape, targets, explicit, dialect, database.masked_url)


def snapshot_side(snapshot: Snapshot, models: LoadedModels, schemas: Sequence[str]) -> DbSide:
    """The schemas a live check would reflect, taken from the snapshot."""
    targets = resolve_snapshot_schemas(snapshot, schemas)
    explicit = sorted(model_schemas(models) - set(targets))
    needed = set(targets) | {schema for schema in explicit if schema in snapshot.schemas}
    shape = snapshot.shape
    db_shape = SchemaShape(
        dialect=shape.dialect,
        default_schema=shape.default_schema,
        tables={key: table for key, table in shape.tables.items() if key[0] in needed},
        enums={key: enum for key, enum in shape.enums.items() if key[0] in needed},
        warnings=list(shape.warnings),
    )
    for schema in explicit:
        if schema not in snapshot.schemas:
            db_shape.warnings.append(
                f"The schema {schema!r} that the models use is not in the {snapshot.label}; "
                "its tables are reported missing (take the snapshot with --models to include it)."
            )
    return DbSide(db_shape, targets, explicit, snapshot.dialect(), snapshot.label)


def compared_tables(
    models: LoadedModels, db_side: DbSide, findings: Sequence[Finding], options: CompareOptions
) -> list[str]:
    """Every table the check looked at, as schema.table: the models' and the database's extras."""
    default = db_side.targets[0] if db_side.targets else db_side.shape.default_schema
    keys = {(table.schema or default, table.name) for table in models.tables}
    keys |= {(finding.schema, finding.table) for finding in findings}
    names = {
        f"{schema}.{name}" if schema else name
        for schema, name in keys
        if not is_excluded(schema, name, options)
    }
    return sorted(names)

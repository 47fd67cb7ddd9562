"""The library API: ``check()`` runs load → reflect → compare and returns a Report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from schemadoctor.compare import CompareOptions, compare_schemas
from schemadoctor.connect import Database, Timeouts, describe_database_error, open_database
from schemadoctor.describe import describe_models
from schemadoctor.diagnose import diagnose_report
from schemadoctor.errors import ModelsLoadError, SchemaDoctorError
from schemadoctor.findings import Finding, Report, Severity
from schemadoctor.load import LoadedModels, load_models
from schemadoctor.migrations import MigrationState, load_scripts
from schemadoctor.probe import ProbeResult, probe_targets
from schemadoctor.reflect import (
    default_schema_of,
    list_schemas,
    reflect_connection,
    resolve_schemas,
)
from schemadoctor.schema import SchemaShape

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
    db: Database | Engine | str,
    *,
    schemas: Sequence[str] = (),
    exclude_tables: Sequence[str] = (),
    include_tables: Sequence[str] = (),
    fail_on: Severity | str = Severity.WARNING,
    timeouts: Timeouts | None = None,
    alembic_config: str | Path | None = None,
    probe: bool = False,
) -> Report:
    """Compare the models with the live database and return the report.

    ``models`` is a MetaData or ``--models`` targets; ``db`` an Engine, a URL or a Database.
    With ``alembic_config`` each finding gets its cause from the migration history; with
    ``probe`` every mapped table is queried. Nothing is written: the database is read in a
    read-only transaction.
    """
    loaded = as_models(models)
    database = as_database(db, timeouts)
    options = CompareOptions(tuple(exclude_tables), tuple(include_tables))
    scripts = load_scripts(Path(alembic_config)) if alembic_config else None
    migrations: MigrationState | None = None
    probes: list[ProbeResult] | None = None

    try:
        with database.connect() as connection:
            db_shape, targets, explicit = reflect_for_models(connection, loaded, schemas)
            dialect = connection.dialect
            findings = compare_models(loaded, db_shape, dialect, targets, explicit, options)
            if scripts is not None:
                migrations, findings = diagnose_report(
                    connection, scripts, loaded, db_shape, targets, explicit, options, findings
                )
            if probe:
                probes = probe_targets(connection, loaded, db_shape, targets, options)
    except SchemaDoctorError:
        raise
    except SQLAlchemyError as error:
        raise describe_database_error(error, database.url, "Reading the database schema") from error

    return Report(
        dialect=db_shape.dialect,
        url=database.masked_url,
        findings=findings,
        fail_on=Severity(fail_on),
        warnings=db_shape.warnings,
        schemas=list(targets),
        migrations=migrations,
        probes=probes,
    )

"""The library API: ``check()`` runs load → reflect → compare and returns a Report."""

from __future__ import annotations

import contextlib
import datetime
import gc
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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
from schemadoctor.locations import DeferredLocator
from schemadoctor.migrations import MigrationScripts, MigrationState, load_scripts
from schemadoctor.probe import ProbeResult, probe_targets
from schemadoctor.reflect import (
    default_schema_of,
    list_schemas,
    reflect_connection,
    resolve_schemas,
)
from schemadoctor.schema import SchemaShape, TableShape, dialect_family
from schemadoctor.snapshot import Snapshot, resolve_snapshot_schemas

if TYPE_CHECKING:
    from schemadoctor.plan import Plan, PlanOptions
# Called as progress(stage, done, total) with stage "reflect" or "compare", counting schemas.
Progress = Callable[[str, int, int], None]

# Schemas read per batch: few enough that a batch's rows stay small, many enough that a
# thousand tenant schemas take ten batches of a constant number of queries each.
SCHEMAS_PER_BATCH = 100

logger = logging.getLogger(__name__)


@dataclass
class CheckRequest:
    """Everything a check needs besides the models and the database."""

    schemas: Sequence[str] = ()
    exclude_tables: Sequence[str] = ()
    include_tables: Sequence[str] = ()
    fail_on: Severity = Severity.WARNING
    timeouts: Timeouts = field(default_factory=Timeouts)
    ignore: Sequence[IgnoreRule] = ()


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


def as_database(
    db: Database | Engine | str, timeouts: Timeouts | None = None, pool_size: int = 5
) -> Database:
    """A Database from a Database, an Engine or a URL (opened read-only)."""
    if isinstance(db, Database):
        return db
    if isinstance(db, Engine):
        return Database(engine=db, url=db.url, read_only=True, timeouts=timeouts or Timeouts())
    return open_database(db, read_only=True, timeouts=timeouts, pool_size=pool_size)


def model_schemas(models: LoadedModels) -> set[str]:
    """The schemas that the models name explicitly with ``Table.schema``."""
    return {table.schema for table in models.declared_tables if table.schema}


def reflect_for_models(
    connection: Connection,
    models: LoadedModels,
    requested: Sequence[str],
    *,
    database: Database | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> tuple[SchemaShape, list[str], list[str]]:
    """Reflect the schemas the check needs: targets (default or --schema) and explicit ones.

    Many schemas are read in batches; with ``database`` and ``jobs`` > 1 the batches are read
    by up to ``jobs`` connections at once.
    """
    default_schema = default_schema_of(connection)
    targets = resolve_schemas(connection, list(requested) or [None], default_schema)
    available = set(list_schemas(connection))
    explicit = sorted(model_schemas(models) - set(targets))
    absent = [schema for schema in explicit if schema not in available]
    needed = targets + [schema for schema in explicit if schema in available]
    db_shape = reflect_in_batches(connection, needed, default_schema, database, jobs, progress)
    for schema in absent:
        db_shape.warnings.append(
            f"The schema {schema!r} that the models use does not exist in the database; "
            "its tables are reported missing."
        )
    return db_shape, targets, explicit


def reflect_in_batches(
    connection: Connection,
    schemas: Sequence[str],
    default_schema: str | None,
    database: Database | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> SchemaShape:
    """Reflect the schemas SCHEMAS_PER_BATCH at a time, on ``jobs`` connections at most."""
    batches = [
        list(schemas[start : start + SCHEMAS_PER_BATCH])
        for start in range(0, len(schemas), SCHEMAS_PER_BATCH)
    ] or [[]]
    done = 0
    shapes: list[SchemaShape] = []
    if progress:
        progress("reflect", 0, len(schemas))

    if database is None or jobs <= 1 or len(batches) == 1:
        # One batch at a time: a reader may take one more pooled connection beside this one.
        for batch in batches:
            shapes.append(reflect_connection(connection, batch, default_schema, database))
            done += len(batch)
            if progress:
                progress("reflect", done, len(schemas))
        return merge_shapes(shapes, connection, default_schema)

    def reflect_batch(batch: list[str]) -> SchemaShape:
        with database.connect() as batch_connection:
            return reflect_connection(batch_connection, batch, default_schema)

    # Limitation: each batch reads in its own transaction, so a migration that commits while
    # the batches run can be half seen — run the check with --jobs 1 for one snapshot.
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="reflect") as pool:
        for batch, shape in zip(batches, pool.map(reflect_batch, batches), strict=True):
            shapes.append(shape)
            done += len(batch)
            if progress:
                progress("reflect", done, len(schemas))
    return merge_shapes(shapes, connection, default_schema)


def merge_shapes(
    shapes: Sequence[SchemaShape], connection: Connection, default_schema: str | None
) -> SchemaShape:
    """One shape holding the tables, enums and warnings of several reflected batches."""
    if len(shapes) == 1:
        return shapes[0]
    merged = SchemaShape(
        dialect=dialect_family(connection.dialect.name), default_schema=default_schema
    )
    for shape in shapes:
        merged.tables.update(shape.tables)
        merged.enums.update(shape.enums)
        merged.warnings.extend(w for w in shape.warnings if w not in merged.warnings)
    return merged


def compare_models(
    models: LoadedModels,
    db_shape: SchemaShape,
    dialect: object,
    targets: Sequence[str],
    explicit: Sequence[str],
    options: CompareOptions,
    progress: Progress | None = None,
    description: ModelDescription | Future[ModelDescription] | None = None,
) -> list[Finding]:
    """Compare the models with every target schema; explicitly placed tables only once.

    The models are described once and the description is moved into each target schema, so
    checking a thousand tenant schemas costs one description, not a thousand. ``description``
    is one made (or being made) already by ``describe_for_targets``.
    """
    if isinstance(description, Future):
        description = description.result()
    if description is None:
        description = describe_for_targets(models, dialect)  # type: ignore[arg-type]
    template, locator = description.shape, description.locator
    db_tables = group_by_schema(db_shape.tables)
    db_enums = group_by_schema(db_shape.enums)
    warnings = [w.replace(_TARGET, targets[0]) for w in template.warnings] if targets else []
    db_shape.warnings.extend(w for w in warnings if w not in db_shape.warnings)
    findings: list[Finding] = []

    for position, target in enumerate(targets):
        if position == 0 and target == description.schema:
            model_shape = SchemaShape(
                dialect=template.dialect,
                default_schema=target,
                tables=template.tables,
                enums=template.enums,
                warnings=list(template.warnings),
            )
        else:
            model_shape = retarget(template, target, drop=set(explicit) if position else set())
        in_scope = {target, *explicit} if position == 0 else {target}
        db_part = SchemaShape(dialect=db_shape.dialect, default_schema=db_shape.default_schema)
        for schema in in_scope:
            db_part.tables.update(db_tables.get(schema, {}))
            db_part.enums.update(db_enums.get(schema, {}))
        findings.extend(compare_schemas(model_shape, db_part, options))
        db_shape.warnings.extend(w for w in db_part.warnings if w not in db_shape.warnings)
        if progress:
            progress("compare", position + 1, len(targets))
    return [
        replace(finding, location=locator.resolve(finding.location, finding.column))
        if finding.location
        else finding
        for finding in findings
    ]


# The schema the models are described in once; every target schema then takes its place.
_TARGET = "\x00target"


@dataclass
class ModelDescription:
    """The models described in one schema, and the locator of their lines."""

    shape: SchemaShape
    locator: DeferredLocator
    schema: str = _TARGET


def describe_for_targets(
    models: LoadedModels, dialect: Dialect, schema: str | None = None
) -> ModelDescription:
    """Describe the models once, in ``schema`` when it is known to be the first target, else in
    a placeholder schema that ``retarget`` replaces (moving thousands of records costs time)."""
    locator = DeferredLocator(models)
    schema = schema or _TARGET
    return ModelDescription(describe_models(models, dialect, schema, locator), locator, schema)


_Shape = TypeVar("_Shape")


def group_by_schema(
    items: dict[tuple[str | None, str], _Shape],
) -> dict[str | None, dict[tuple[str | None, str], _Shape]]:
    """The items of a (schema, name)-keyed mapping, grouped by schema."""
    groups: dict[str | None, dict[tuple[str | None, str], _Shape]] = {}
    for key, item in items.items():
        groups.setdefault(key[0], {})[key] = item
    return groups


def retarget(template: SchemaShape, target: str, drop: set[str]) -> SchemaShape:
    """The models' shape described in ``_TARGET``, moved to ``target``, without ``drop``."""
    shape = SchemaShape(
        dialect=template.dialect, default_schema=target, warnings=list(template.warnings)
    )
    for (schema, name), table in template.tables.items():
        if schema in drop:
            continue
        moved = _retarget_table(table, target)
        shape.tables[(moved.schema, name)] = moved
    for (schema, name), enum in template.enums.items():
        if schema in drop:
            continue
        moved_enum = replace(enum, schema=target) if schema == _TARGET else enum
        shape.enums[(moved_enum.schema, name)] = moved_enum
    return shape


def _retarget_table(table: TableShape, target: str) -> TableShape:
    columns = table.columns
    if any(column.enum_schema == _TARGET for column in columns):
        columns = tuple(
            replace(column, enum_schema=target) if column.enum_schema == _TARGET else column
            for column in columns
        )
    foreign_keys = table.foreign_keys
    if any(fk.referred_schema == _TARGET for fk in foreign_keys):
        foreign_keys = tuple(
            replace(fk, referred_schema=target) if fk.referred_schema == _TARGET else fk
            for fk in foreign_keys
        )
    schema = target if table.schema == _TARGET else table.schema
    if schema == table.schema and columns is table.columns and foreign_keys is table.foreign_keys:
        return table
    return replace(table, schema=schema, columns=columns, foreign_keys=foreign_keys)


class _CollectorPause:
    """Pauses Python's cyclic garbage collector while at least one check runs.

    Imported models are millions of objects and every full collection walks them all: on
    3,000 tables the collector took more CPU than describing and comparing together. The
    shapes a check builds hold no reference cycles, so reference counting frees them anyway.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


collector_paused = _CollectorPause()


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
    jobs: int = 1,
    progress: Progress | None = None,
    alembic_config: str | Path | None = None,
    probe: bool = False,
) -> Report:
    """Compare the models with the live database (or a snapshot) and return the report.

    ``models`` is a MetaData or ``--models`` targets; ``db`` an Engine, a URL, a Database or a
    Snapshot (then nothing connects). Nothing is written: the database is read in a read-only
    transaction. Findings that an ``ignore`` rule matches move to ``Report.ignored``.
    ``schemas`` takes names and globs; many schemas are reflected in batches on up to ``jobs``
    connections, and ``progress(stage, done, total)`` hears how far the check is.
    With ``alembic_config`` each finding gets its cause from the migration history; with
    ``probe`` every mapped table is queried (both need the live database).
    """
    loaded = as_models(models)
    request = CheckRequest(
        schemas, exclude_tables, include_tables, Severity(fail_on), timeouts or Timeouts(), ignore
    )
    scripts = load_scripts(Path(alembic_config)) if alembic_config else None
    if not isinstance(db, Snapshot):
        # One Database for reflection and diagnosis, sized as read_db_side would size it.
        db = as_database(db, timeouts, pool_size=max(5, jobs + 1))

    with collector_paused():
        # The check's records are all dropped when _check_with returns, before the collector
        # resumes: alive then, they would be walked by its first collection (40 ms at 3,000
        # tables).
        return _check_with(loaded, db, request, scripts, today, jobs, progress, probe)


def _check_with(
    loaded: LoadedModels,
    db: Database | Snapshot,
    request: CheckRequest,
    scripts: MigrationScripts | None,
    today: datetime.date | None,
    jobs: int,
    progress: Progress | None,
    probe: bool,
) -> Report:
    options = CompareOptions(tuple(request.exclude_tables), tuple(request.include_tables))
    db_side = read_db_side(
        db, loaded, request.schemas, request.timeouts, jobs=jobs, progress=progress
    )

    findings = compare_models(
        loaded,
        db_side.shape,
        db_side.dialect,
        db_side.targets,
        db_side.explicit,
        options,
        progress,
        db_side.description,
    )
    live = LiveExamination(None, None)
    if isinstance(db, Database) and (scripts is not None or probe):
        live = examine_live(db, scripts, probe, loaded, db_side, options, findings)
        findings = live.findings or findings
    elif scripts is not None or probe:
        db_side.shape.warnings.append(
            "Causes and probes need the live database; they were skipped for the snapshot."
        )
    outcome = apply_ignore_rules(findings, request.ignore, today)
    return Report(
        dialect=db_side.shape.dialect,
        url=db_side.label,
        findings=outcome.findings,
        fail_on=request.fail_on,
        warnings=db_side.shape.warnings + outcome.notes,
        schemas=list(db_side.targets),
        ignored=outcome.ignored,
        tables=compared_tables(loaded, db_side, findings, options),
        models_path=next((m.__file__ for m in loaded.modules if m.__file__), None),
        migrations=live.migrations,
        schema_migrations=live.schema_migrations,
        probes=live.probes,
    )


@dataclass
class LiveExamination:
    """What the live database adds to a check: causes and the migration state, probes."""

    migrations: MigrationState | None
    probes: list[ProbeResult] | None
    findings: list[Finding] | None = None
    schema_migrations: dict[str, MigrationState] = field(default_factory=dict)


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
                result.migrations, result.findings, result.schema_migrations = diagnose_report(
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
    # The models' description, made while the catalog queries ran (live databases only).
    description: Future[ModelDescription] | None = None


def read_db_side(
    db: Database | Engine | str | Snapshot,
    models: LoadedModels,
    schemas: Sequence[str],
    timeouts: Timeouts | None = None,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> DbSide:
    """Reflect the live database, or take the same shapes from a snapshot without connecting."""
    if isinstance(db, Snapshot):
        return snapshot_side(db, models, schemas)
    database = as_database(db, timeouts, pool_size=max(5, jobs + 1))
    describer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="describe")
    try:
        with database.connect() as connection:
            # Describe the models while the server answers the catalog queries: the drivers
            # let go of the interpreter while they wait, so the two overlap.
            # Without --schema the first target is the default schema: describe the models there.
            first = None if schemas else default_schema_of(connection)
            description = describer.submit(describe_for_targets, models, connection.dialect, first)
            db_shape, targets, explicit = reflect_for_models(
                connection, models, schemas, database=database, jobs=jobs, progress=progress
            )
            dialect = connection.dialect
    except SchemaDoctorError:
        raise
    except SQLAlchemyError as error:
        raise describe_database_error(error, database.url, "Reading the database schema") from error
    finally:
        describer.shutdown(wait=False)
        # An engine opened here from a URL is closed here: no idle session stays on the server.
        if isinstance(db, str):
            database.dispose()
    return DbSide(db_shape, targets, explicit, dialect, database.masked_url, description)


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
    keys = {(table.schema or default, table.name) for table in models.declared_tables}
    keys |= {(finding.schema, finding.table) for finding in findings}
    names = {
        f"{schema}.{name}" if schema else name
        for schema, name in keys
        if not is_excluded(schema, name, options)
    }
    return sorted(names)


@dataclass
class Drift:
    """A check's report plus what planning a fix needs: the models and the reflected shapes."""

    report: Report
    models: LoadedModels
    db_shape: SchemaShape
    targets: list[str]
    default_schema: str | None


def compare_connection(
    connection: Connection, loaded: LoadedModels, request: CheckRequest, masked_url: str
) -> Drift:
    """Reflect the database on an open connection and compare it with the models."""
    options = CompareOptions(tuple(request.exclude_tables), tuple(request.include_tables))
    db_shape, targets, explicit = reflect_for_models(connection, loaded, request.schemas)
    findings = compare_models(loaded, db_shape, connection.dialect, targets, explicit, options)
    outcome = apply_ignore_rules(findings, request.ignore, None)
    report = Report(
        dialect=db_shape.dialect,
        url=masked_url,
        findings=outcome.findings,
        fail_on=Severity(request.fail_on),
        warnings=db_shape.warnings + outcome.notes,
        schemas=list(targets),
        ignored=outcome.ignored,
    )
    return Drift(report, loaded, db_shape, list(targets), db_shape.default_schema)


def plan(
    models: LoadedModels | MetaData | Sequence[str] | str,
    db: Database | Engine | str,
    request: CheckRequest | None = None,
    options: PlanOptions | None = None,
) -> Plan:
    """Compare, then plan the statements that fix the failing findings (nothing is written)."""
    from schemadoctor.plan import PlanOptions, plan_fix

    request = request or CheckRequest()
    loaded = as_models(models)
    database = as_database(db, request.timeouts)
    try:
        with database.connect() as connection:
            drift = compare_connection(connection, loaded, request, database.masked_url)
            return plan_fix(connection, drift, options or PlanOptions())
    except SchemaDoctorError:
        raise
    except SQLAlchemyError as error:
        raise describe_database_error(error, database.url, "Planning the fix") from error
    finally:
        if isinstance(db, str):
            database.dispose()


def check_databases(
    models: LoadedModels | MetaData | Sequence[str] | str,
    dbs: Sequence[Database | Engine | str | Snapshot],
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    **options: Any,
) -> list[Report]:
    """Check several databases (shards) against the same models; one report each, in order.

    The models are loaded once. With ``jobs`` > 1 up to ``jobs`` databases are checked at
    once; ``options`` are those of ``check``.
    """
    loaded = as_models(models)
    if len(dbs) == 1:
        return [check(loaded, dbs[0], jobs=jobs, progress=progress, **options)]

    def check_one(db: Database | Engine | str | Snapshot) -> Report:
        return check(loaded, db, **options)

    reports: list[Report] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="check") as pool:
        for report in pool.map(check_one, dbs):
            reports.append(report)
            if progress:
                progress("databases", len(reports), len(dbs))
    return reports

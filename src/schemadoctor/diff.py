"""Compare any two of {database URL, snapshot file, models}: for example staging and production.

SOURCE plays the models' part (what is expected) and TARGET the database's part (what is
there), so ``missing_*`` findings are in SOURCE only and ``extra_*`` ones in TARGET only.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Dialect

from schemadoctor.compare import CompareOptions, compare_schemas, is_excluded
from schemadoctor.config import IgnoreRule, apply_ignore_rules
from schemadoctor.connect import Timeouts, open_database
from schemadoctor.describe import describe_models
from schemadoctor.errors import ConfigurationError
from schemadoctor.findings import Report, Severity
from schemadoctor.load import load_models
from schemadoctor.schema import SchemaShape, TableShape
from schemadoctor.snapshot import (
    Snapshot,
    dialect_for,
    load_snapshot,
    resolve_snapshot_schemas,
    take_snapshot,
)

logger = logging.getLogger(__name__)

DEFAULT_SCHEMAS = {"postgresql": "public", "sqlite": "main"}


@dataclass
class Side:
    """One side of a diff: what the argument names, and its shape once read."""

    text: str
    kind: str  # "database", "snapshot" or "models"
    snapshot: Snapshot | None = None

    @property
    def label(self) -> str:
        """How the report names this side."""
        if self.kind == "models":
            return f"models {self.text}"
        assert self.snapshot is not None
        return self.snapshot.label if self.kind == "snapshot" else self.snapshot.source


def classify(text: str) -> str:
    """A URL is a database, an existing .json file a snapshot, anything else models."""
    if "://" in text:
        return "database"
    if text.endswith(".json") and Path(text).is_file():
        return "snapshot"
    return "models"


def read_side(text: str, schemas: Sequence[str], timeouts: Timeouts | None) -> Side:
    """Read a database (reflect it now) or a snapshot file; models wait for a dialect."""
    kind = classify(text)
    if kind == "database":
        database = open_database(text, read_only=True, timeouts=timeouts)
        try:
            snapshot = take_snapshot(database, schemas)
        finally:
            database.dispose()
        snapshot.source = database.masked_url
        return Side(text, kind, snapshot)
    if kind == "snapshot":
        return Side(text, kind, load_snapshot(text))
    return Side(text, kind)


def diff(
    source: str,
    target: str,
    *,
    schemas: Sequence[str] = (),
    exclude_tables: Sequence[str] = (),
    include_tables: Sequence[str] = (),
    fail_on: Severity | str = Severity.WARNING,
    dialect_name: str | None = None,
    timeouts: Timeouts | None = None,
    ignore: Sequence[IgnoreRule] = (),
) -> Report:
    """Compare SOURCE (expected) with TARGET (actual) and return the report."""
    sides = [read_side(text, schemas, timeouts) for text in (source, target)]
    dialect, default_schema = _common_dialect(sides, dialect_name)

    shapes = [_shape(side, dialect, default_schema, schemas) for side in sides]
    options = CompareOptions(tuple(exclude_tables), tuple(include_tables))
    findings = compare_schemas(shapes[0], shapes[1], options)
    outcome = apply_ignore_rules(findings, ignore)

    keys = {key for shape in shapes for key in shape.tables}
    tables = sorted(
        f"{schema}.{name}" if schema else name
        for schema, name in keys
        if not is_excluded(schema, name, options)
    )
    models_path = next((side.text for side in sides if side.kind == "models"), None)
    return Report(
        dialect=shapes[1].dialect,
        url=f"{sides[0].label} -> {sides[1].label}",
        findings=outcome.findings,
        fail_on=Severity(fail_on),
        warnings=[w for shape in shapes for w in shape.warnings] + outcome.notes,
        ignored=outcome.ignored,
        schemas=sorted({schema for schema, _ in keys}, key=lambda name: name or ""),
        tables=tables,
        models_path=models_path.partition(":")[0] if models_path else None,
    )


def _common_dialect(sides: list[Side], dialect_name: str | None) -> tuple[Dialect, str | None]:
    snapshots = [side.snapshot for side in sides if side.snapshot is not None]
    families = {snapshot.shape.dialect for snapshot in snapshots}
    if len(families) > 1:
        raise ConfigurationError(
            f"Cannot compare a {' database with a '.join(sorted(families))} database: types "
            "and defaults are spelled differently; compare databases of one kind."
        )
    if snapshots:
        return snapshots[0].dialect(), snapshots[0].shape.default_schema
    if not dialect_name:
        raise ConfigurationError(
            "Comparing two sets of models needs --dialect postgresql, mysql or sqlite, "
            "to spell their types as that database would."
        )
    return dialect_for(dialect_name, (), False), DEFAULT_SCHEMAS.get(dialect_name)


def _shape(
    side: Side, dialect: Dialect, default_schema: str | None, schemas: Sequence[str]
) -> SchemaShape:
    if side.snapshot is None:
        return describe_models(load_models([side.text]), dialect, default_schema)
    shape = side.snapshot.shape
    if side.kind == "snapshot":
        wanted = set(resolve_snapshot_schemas(side.snapshot, schemas))
        shape = SchemaShape(
            dialect=shape.dialect,
            default_schema=shape.default_schema,
            tables={key: table for key, table in shape.tables.items() if key[0] in wanted},
            enums={key: enum for key, enum in shape.enums.items() if key[0] in wanted},
            warnings=list(shape.warnings),
        )
    if shape.default_schema != default_schema:
        # Two MySQL databases (staging, production) differ by name: compare them as one schema.
        # Limitation: only the default schema is matched up; other schemas must be named alike
        # on both sides — a --schema-map SOURCE=TARGET option would lift it.
        shape = rename_schema(shape, shape.default_schema, default_schema)
    return shape


def rename_schema(shape: SchemaShape, old: str | None, new: str | None) -> SchemaShape:
    """The shape with schema ``old`` called ``new`` everywhere (tables, keys, enum types)."""

    def rename(schema: str | None) -> str | None:
        return new if schema == old else schema

    tables: dict[tuple[str | None, str], TableShape] = {}
    for (schema, name), table in shape.tables.items():
        tables[(rename(schema), name)] = dataclasses.replace(
            table,
            schema=rename(table.schema),
            columns=tuple(
                dataclasses.replace(column, enum_schema=rename(column.enum_schema))
                for column in table.columns
            ),
            foreign_keys=tuple(
                dataclasses.replace(fk, referred_schema=rename(fk.referred_schema))
                for fk in table.foreign_keys
            ),
        )
    enums = {
        (rename(schema), name): dataclasses.replace(enum, schema=rename(enum.schema))
        for (schema, name), enum in shape.enums.items()
    }
    return SchemaShape(shape.dialect, new, tables, enums, list(shape.warnings))

"""Explain an error an application logged: find its table and column, check that table.

Understands PostgreSQL's undefined column / undefined table, MySQL's unknown column / table
doesn't exist, and SQLite's no such column / no such table, with qualified, aliased and quoted
names, as the drivers and SQLAlchemy print them (``[SQL: ...]`` is used to resolve aliases).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemadoctor.errors import ConfigurationError
from schemadoctor.findings import Cause, Finding, Kind, Report
from schemadoctor.load import LoadedModels

MISSING_COLUMN = "missing_column"
MISSING_TABLE = "missing_table"

_NAME = r'(?:"[^"]+"|`[^`]+`|\[[^\]]+\]|[^\s"`\'.,()]+)'
_REF = rf"{_NAME}(?:\.{_NAME}){{0,2}}"

# (dialect, kind, pattern); a pattern names ref (dotted) or table / column.
_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "postgresql",
        MISSING_COLUMN,
        re.compile(r'column "(?P<column>[^"]+)" of relation "(?P<table>[^"]+)" does not exist'),
    ),
    ("postgresql", MISSING_COLUMN, re.compile(rf"column (?P<ref>{_REF}) does not exist")),
    ("postgresql", MISSING_TABLE, re.compile(r'relation "(?P<ref>[^"]+)" does not exist')),
    ("mysql", MISSING_COLUMN, re.compile(r"Unknown column '(?P<ref>[^']+)' in '[^']*'")),
    ("mysql", MISSING_TABLE, re.compile(r"Table '(?P<ref>[^']+)' doesn't exist")),
    (
        "sqlite",
        MISSING_COLUMN,
        re.compile(rf"table (?P<table>{_REF}) has no column named (?P<column>{_NAME})"),
    ),
    ("sqlite", MISSING_COLUMN, re.compile(rf"no such column: (?P<ref>{_REF})")),
    ("sqlite", MISSING_TABLE, re.compile(rf"no such table: (?P<ref>{_REF})")),
)

_SQL_IN_TEXT = re.compile(r"\[SQL: (?P<sql>.*?)\](?:\s*\[parameters|\s*\(Background|\s*$)", re.S)
_PG_LINE = re.compile(r"^LINE \d+: (?P<sql>.*)$", re.M)
_TABLE_IN_SQL = re.compile(
    rf"\b(?:FROM|JOIN|UPDATE|INTO)\s+(?P<table>{_NAME}(?:\.{_NAME})?)"
    rf"(?:\s+(?:AS\s+)?(?P<alias>{_NAME}))?",
    re.IGNORECASE,
)
_NOT_ALIASES = {
    "where", "join", "on", "left", "right", "inner", "outer", "full", "cross", "set", "values",
    "group", "order", "limit", "offset", "having", "union", "using", "natural", "returning",
    "select", "default", "for", "window", "lateral", "as", "fetch", "straight_join",
}  # fmt: skip


@dataclass(frozen=True)
class ErrorReference:
    """What an error text names: the missing object, as written, and the SQL around it."""

    kind: str
    dialect: str
    message: str
    column: str | None = None
    qualifier: str | None = None
    table: str | None = None
    schema: str | None = None
    statement: str | None = None
    aliases: dict[str, tuple[str | None, str]] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        """The missing object as the error names it."""
        name = ".".join(part for part in (self.qualifier or self.table, self.column) if part)
        return name or "?"


def unquote(name: str) -> str:
    """An identifier without its quotes (``"x"``, ```x```, ``[x]``)."""
    if len(name) >= 2 and (name[0], name[-1]) in (('"', '"'), ("`", "`"), ("[", "]")):
        return name[1:-1]
    return name


def split_name(text: str) -> list[str]:
    """A dotted name into its unquoted parts."""
    return [unquote(part) for part in re.findall(_NAME, text)]


def parse_error(text: str) -> ErrorReference:
    """The missing table or column an error text names; ConfigurationError when none."""
    for dialect, kind, pattern in _PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        statement = _statement(text)
        fields = _fields(kind, match.groupdict())
        return ErrorReference(
            kind=kind,
            dialect=dialect,
            message=" ".join(match.group(0).split()),
            statement=statement,
            aliases=aliases_in(statement) if statement else {},
            **fields,
        )
    raise ConfigurationError(
        "The text is not an error schemadoctor can explain; give the database's message, such "
        "as 'column conversations.workflow_config does not exist' or 'no such table: users'."
    )


def _fields(kind: str, groups: dict[str, Any]) -> dict[str, str | None]:
    if groups.get("column") is not None:
        table_parts = split_name(groups["table"]) if groups.get("table") else []
        return {
            "column": unquote(groups["column"]),
            "table": table_parts[-1] if table_parts else None,
            "schema": table_parts[-2] if len(table_parts) > 1 else None,
        }
    parts = split_name(groups["ref"])
    if kind == MISSING_TABLE:
        return {"table": parts[-1], "schema": parts[-2] if len(parts) > 1 else None}
    qualifier = parts[-2] if len(parts) > 1 else None
    return {
        "column": parts[-1],
        "qualifier": qualifier,
        "schema": parts[-3] if len(parts) > 2 else None,
    }


def _statement(text: str) -> str | None:
    match = _SQL_IN_TEXT.search(text)
    if match:
        return " ".join(match.group("sql").split())
    line = _PG_LINE.search(text)
    return " ".join(line.group("sql").split()) if line else None


def aliases_in(sql: str) -> dict[str, tuple[str | None, str]]:
    """Every table the SQL reads or writes, by its alias and by its own name."""
    found: dict[str, tuple[str | None, str]] = {}
    for match in _TABLE_IN_SQL.finditer(sql):
        parts = split_name(match.group("table"))
        table = (parts[-2] if len(parts) > 1 else None, parts[-1])
        found.setdefault(parts[-1], table)
        alias = match.group("alias")
        if alias and unquote(alias).lower() not in _NOT_ALIASES:
            found[unquote(alias)] = table
    return found


@dataclass(frozen=True)
class Target:
    """A model table the error points at."""

    schema: str | None
    table: str
    column: str | None


def resolve_targets(reference: ErrorReference, models: LoadedModels) -> list[Target]:
    """The model tables (and column) the error is about; several when it cannot tell."""
    tables = models.tables
    if reference.kind == MISSING_TABLE:
        named = _model_tables(tables, reference.schema, reference.table or "")
        return [Target(t.schema, t.name, None) for t in named] or [
            Target(reference.schema, reference.table or "?", None)
        ]
    column = reference.column or ""
    name = reference.table or reference.qualifier
    schema = reference.schema
    if name and name in reference.aliases:
        schema, name = reference.aliases[name][0] or schema, reference.aliases[name][1]
    if name:
        named = _model_tables(tables, schema, name)
        if named:
            return [Target(t.schema, t.name, _column_name(t, column)) for t in named]
        return [Target(schema, name, column)]
    having = [t for t in tables if _column_name(t, column) is not None]
    in_statement = {table for _, table in reference.aliases.values()}
    narrowed = [t for t in having if t.name in in_statement] or having
    if narrowed:
        return [Target(t.schema, t.name, _column_name(t, column)) for t in narrowed]
    return [Target(None, next(iter(in_statement)), column)] if in_statement else []


def _model_tables(tables: Sequence[Any], schema: str | None, name: str) -> list[Any]:
    exact = [t for t in tables if t.name == name and (schema is None or t.schema in (schema, None))]
    if exact:
        return exact
    return [t for t in tables if t.name.lower() == name.lower()]


def _column_name(table: Any, column: str) -> str | None:
    for candidate in table.columns:
        if candidate.name == column:
            return str(candidate.name)
    for candidate in table.columns:
        if candidate.name.lower() == column.lower():
            return str(candidate.name)
    return None


@dataclass
class Explanation:
    """What the error means on this database: diagnosis, cause and fix per target."""

    reference: ErrorReference
    report: Report
    items: list[dict[str, Any]]

    @property
    def confirmed(self) -> bool:
        """True when the database shows the drift that explains the error."""
        return any(item["finding"] is not None for item in self.items)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        migrations = self.report.migrations
        return {
            "error": {
                "kind": self.reference.kind,
                "dialect": self.reference.dialect,
                "message": self.reference.message,
                "subject": self.reference.subject,
            },
            "confirmed": self.confirmed,
            "explanations": [
                {**item, "finding": item["finding"].to_dict() if item["finding"] else None}
                for item in self.items
            ],
            "migrations": migrations.to_dict() if migrations else None,
        }


def explain_error(
    text: str,
    models: LoadedModels,
    db: Any,
    *,
    alembic_config: str | Path | None = None,
    timeouts: Any = None,
    schemas: Sequence[str] = (),
) -> Explanation:
    """Parse the error, check the tables it names, and say what is wrong and how to fix it."""
    from schemadoctor.api import check

    reference = parse_error(text)
    targets = resolve_targets(reference, models)
    if not targets:
        raise ConfigurationError(
            f"The error names column {reference.column!r} but no model table has it and the "
            "text holds no SQL naming a table; pass the full error, with its [SQL: ...] part."
        )

    include = sorted({_glob_literal(target.table) for target in targets})
    report = check(
        models,
        db,
        schemas=schemas,
        include_tables=include,
        alembic_config=alembic_config,
        timeouts=timeouts,
    )
    items = [_explain_target(reference, target, report, models) for target in targets]
    return Explanation(reference, report, items)


def _glob_literal(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _explain_target(
    reference: ErrorReference, target: Target, report: Report, models: LoadedModels
) -> dict[str, Any]:
    finding = _matching_finding(reference, target, report.findings)
    subject = f"{target.table}.{target.column}" if target.column else target.table
    item: dict[str, Any] = {"table": target.table, "column": target.column, "finding": finding}
    if finding is not None:
        item.update(
            diagnosis=finding.message,
            cause=finding.cause,
            cause_detail=finding.cause_detail,
            fix=_fix(finding, report),
        )
        return item
    mapped = any(t.name == target.table for t in models.tables)
    if not mapped or (reference.kind == MISSING_COLUMN and target.column is None):
        item.update(
            diagnosis=(
                f"The models do not map {subject}: the failing query does not come from these "
                "models (raw SQL, another application, or the wrong --models?)."
            ),
            fix="Find the code that runs the query; schemadoctor cannot check what the models "
            "do not declare.",
        )
    else:
        item.update(
            diagnosis=(
                f"This database has {subject} as the models expect: the error came from another "
                "database (check the URL the application uses) or from before it was fixed."
            ),
            fix="Nothing to fix here; run the explanation against the application's database.",
        )
    item.update(cause=None, cause_detail=None)
    return item


def _matching_finding(
    reference: ErrorReference, target: Target, findings: Sequence[Finding]
) -> Finding | None:
    for finding in findings:
        if finding.table != target.table:
            continue
        if reference.kind == MISSING_TABLE and finding.kind is Kind.MISSING_TABLE:
            return finding
        same_column = reference.kind == MISSING_COLUMN and finding.column == target.column
        if same_column and finding.kind is Kind.MISSING_COLUMN:
            return finding
    for finding in findings:
        if finding.table == target.table and finding.kind is Kind.MISSING_TABLE:
            return finding
    return None


def _fix(finding: Finding, report: Report) -> str:
    if finding.cause == Cause.PENDING_MIGRATION.value and report.migrations is not None:
        return report.migrations.upgrade_command
    if finding.cause == Cause.MISSING_MIGRATION.value:
        return (
            "Write the missing migration (`schemadoctor fix --format alembic` drafts it), "
            "review it, then run `alembic upgrade head`."
        )
    return finding.hint

"""Findings: one record per difference between the models and the database."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from schemadoctor.schema import Location

if TYPE_CHECKING:
    from schemadoctor.migrations import MigrationState
    from schemadoctor.probe import ProbeResult


class Kind(StrEnum):
    """What kind of difference a finding is; missing = in the models only, extra = in the DB."""

    MISSING_TABLE = "missing_table"
    EXTRA_TABLE = "extra_table"
    MISSING_COLUMN = "missing_column"
    EXTRA_COLUMN = "extra_column"
    TYPE_MISMATCH = "type_mismatch"
    NULLABILITY_MISMATCH = "nullability_mismatch"
    DEFAULT_MISMATCH = "default_mismatch"
    PRIMARY_KEY_MISMATCH = "primary_key_mismatch"
    MISSING_INDEX = "missing_index"
    EXTRA_INDEX = "extra_index"
    MISSING_UNIQUE_CONSTRAINT = "missing_unique_constraint"
    EXTRA_UNIQUE_CONSTRAINT = "extra_unique_constraint"
    MISSING_FOREIGN_KEY = "missing_foreign_key"
    EXTRA_FOREIGN_KEY = "extra_foreign_key"
    ENUM_MISMATCH = "enum_mismatch"


class Cause(StrEnum):
    """Why a finding exists, as far as the migration history tells."""

    PENDING_MIGRATION = "pending_migration"
    MISSING_MIGRATION = "missing_migration"
    OUT_OF_BAND = "out_of_band"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """The cause as a user would say it."""
        return {
            "pending_migration": "fixed by a pending migration",
            "missing_migration": "model changed, no migration covers it",
            "out_of_band": "database changed outside the migrations",
            "unknown": "unknown",
        }[self.value]


class Severity(StrEnum):
    """How badly the running application is hit by a finding."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: info 0, warning 1, error 2."""
        return {"info": 0, "warning": 1, "error": 2}[self.value]

    def at_least(self, threshold: Severity) -> bool:
        """True when this severity is at or above ``threshold``."""
        return self.rank >= threshold.rank


@dataclass(frozen=True)
class Finding:
    """One difference, with what the models expect and what the database has."""

    kind: Kind
    severity: Severity
    schema: str | None
    table: str
    message: str
    hint: str
    column: str | None = None
    name: str | None = None
    expected: str | None = None
    actual: str | None = None
    location: Location | None = None
    # Free-form facts that the fix planner needs (for example the widening direction).
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # Why the drift exists (a Cause value) and the sentence that says so; None: not diagnosed.
    cause: str | None = None
    cause_detail: str | None = None

    @property
    def subject(self) -> str:
        """The qualified object the finding is about, as a user would write it."""
        parts = [self.table]
        if self.column:
            parts.append(self.column)
        elif self.name:
            parts.append(self.name)
        return ".".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data (the documented ``findings[]`` item)."""
        data = asdict(self)
        data["kind"] = self.kind.value
        data["severity"] = self.severity.value
        data["location"] = asdict(self.location) if self.location else None
        # Facts such as a type change's relation (narrower, wider, incompatible) for scripts.
        data["details"] = dict(self.details)
        return data


SEVERITIES: tuple[Severity, ...] = (Severity.ERROR, Severity.WARNING, Severity.INFO)


@dataclass(frozen=True)
class IgnoredFinding:
    """A finding that an ignore rule of the configuration silenced, with the rule's reason."""

    finding: Finding
    reason: str
    until: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding's JSON data plus the rule's ``reason`` and ``until``."""
        data = self.finding.to_dict()
        data["ignored"] = {"reason": self.reason, "until": self.until}
        return data


@dataclass
class Report:
    """The outcome of a check: the findings, their summary and the exit code."""

    dialect: str
    url: str
    findings: list[Finding]
    fail_on: Severity = Severity.WARNING
    warnings: list[str] = field(default_factory=list)
    schemas: list[str | None] = field(default_factory=list)
    # Findings silenced by ignore rules: counted and shown apart, never in the exit code.
    ignored: list[IgnoredFinding] = field(default_factory=list)
    # The tables that were compared, as schema.table (for per-table reports such as JUnit).
    tables: list[str] = field(default_factory=list)
    # The models' main source file: where unlocated findings (extra tables) are anchored.
    models_path: str | None = None
    # Where the database stands in its Alembic history; None when causes were not looked for.
    migrations: MigrationState | None = None
    # The same for each further --schema target that drifted and was diagnosed, by schema.
    schema_migrations: dict[str, MigrationState] = field(default_factory=dict)
    # The results of --probe (one per mapped table); None when no probe ran.
    probes: list[ProbeResult] | None = None

    @property
    def summary(self) -> dict[str, int]:
        """How many findings there are at each severity."""
        counts = {severity.value: 0 for severity in SEVERITIES}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts

    @property
    def failing(self) -> list[Finding]:
        """The findings at or above ``fail_on``."""
        return [f for f in self.findings if f.severity.at_least(self.fail_on)]

    @property
    def failed_probes(self) -> list[ProbeResult]:
        """The probe queries that the database refused."""
        return [probe for probe in self.probes or [] if not probe.ok]

    @property
    def exit_code(self) -> int:
        """0 when nothing reaches ``fail_on`` and every probe passed, 1 otherwise."""
        return 1 if self.failing or self.failed_probes else 0

    @property
    def in_sync(self) -> bool:
        """True when no finding reaches ``fail_on`` and every probe passed."""
        return not self.failing and not self.failed_probes

"""The plan's records: a change per fixable finding, and the plan that orders them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from schemadoctor.findings import Finding

NEEDS_DESTRUCTIVE = "destructive or risky: it runs only with --allow-destructive"

TableKey = tuple[str | None, str]


class Phase(IntEnum):
    """The order the statements run in, so each finds what it needs already in place."""

    TYPES = 0
    DROP_FOREIGN_KEYS = 1
    DROP_INDEXES = 2
    TABLES = 3
    COLUMNS = 4
    ALTER = 5
    INDEXES = 6
    FOREIGN_KEYS = 7
    DROP_COLUMNS = 8
    DROP_TABLES = 9


@dataclass
class Change:
    """One step of the fix: the Alembic operations that make it, and what it risks."""

    summary: str
    phase: Phase
    table: TableKey | None
    findings: list[Finding] = field(default_factory=list)
    # Alembic operation objects: rendered as SQL for the database, or as op.* calls.
    operations: list[Any] = field(default_factory=list)
    reverse: list[Any] = field(default_factory=list)
    # Statements rendered directly (enum types, CREATE TABLE), quoted by the dialect; when
    # ``operations`` is empty too, the Alembic revision runs them with op.execute().
    sql: list[str] = field(default_factory=list)
    reverse_sql: list[str] = field(default_factory=list)
    destructive: bool = False
    hazards: list[str] = field(default_factory=list)
    skip_reason: str | None = None
    # SQLite cannot ALTER this: the table is rebuilt (Alembic batch mode, rows copied).
    batch: bool = False
    # Column alterations are merged per column before rendering (MySQL MODIFY restates all).
    alter: dict[str, Any] = field(default_factory=dict)
    column: str | None = None
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    transactional: bool = True
    # PostgreSQL: a new enum label cannot be used in the transaction that adds it.
    commit_first: bool = False
    statements: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """The ordered changes to run, and the ones left out with the reason."""

    dialect: str
    url: str
    changes: list[Change] = field(default_factory=list)
    skipped: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def statements(self) -> list[str]:
        """Every statement in the order it runs."""
        return [statement for change in self.ordered for statement in change.statements]

    @property
    def ordered(self) -> list[Change]:
        """Changes in run order: committed-first ones, the transaction, then the rest."""
        first = [c for c in self.changes if c.commit_first]
        inside = [c for c in self.changes if c.transactional and not c.commit_first]
        after = [c for c in self.changes if not c.transactional]
        return first + inside + after

    @property
    def refused(self) -> list[Change]:
        """Changes left out because --allow-destructive was not given."""
        return [change for change in self.skipped if change.skip_reason == NEEDS_DESTRUCTIVE]

    @property
    def empty(self) -> bool:
        """True when there is nothing to run."""
        return not self.changes

    @property
    def exit_code(self) -> int:
        """0 when the plan covers all the drift, 3 when some needs --allow-destructive, else 1."""
        if self.refused:
            return 3
        return 1 if self.skipped else 0

"""Say why each finding exists: a pending migration, a missing one, or an out-of-band change.

Two replays of the migration scripts, both in memory: the pending revisions applied to the
reflected database (a finding that disappears is fixed by them), and every revision from an
empty schema (the schema the migrations describe at head). A finding that the head also shows
against the models is a model change that no migration covers; one the head does not show is a
change made to the database outside the migrations.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.engine import Connection, Dialect

from schemadoctor.compare import CompareOptions, compare_schemas
from schemadoctor.describe import describe_models
from schemadoctor.findings import Cause, Finding, Kind
from schemadoctor.load import LoadedModels
from schemadoctor.migrations import (
    MigrationScripts,
    MigrationState,
    MigrationStatus,
    Revision,
    read_migration_state,
)
from schemadoctor.replay import Replay, copy_shape, replay_revisions
from schemadoctor.schema import SchemaShape

logger = logging.getLogger(__name__)

FIX_ALEMBIC = "schemadoctor fix --format alembic"

FindingKey = tuple[str, str | None, str, str | None, str | None, str | None]


def finding_key(finding: Finding) -> FindingKey:
    """What makes two findings from different comparisons the same difference.

    The models' side (``expected``) is the same in every comparison, the database's is not.
    """
    return (
        finding.kind.value,
        finding.schema,
        finding.table,
        finding.column,
        finding.name,
        finding.expected,
    )


@dataclass
class Diagnosis:
    """The replays and comparisons that the causes are read from."""

    state: MigrationState
    pending: Replay | None
    head: Replay
    fixed_by_pending: set[FindingKey]
    model_vs_head: set[FindingKey]


def diagnose(
    findings: Sequence[Finding],
    model_shape: SchemaShape,
    db_shape: SchemaShape,
    state: MigrationState,
    scripts: MigrationScripts,
    dialect: Dialect,
    connection: Connection | None,
    options: CompareOptions,
) -> list[Finding]:
    """The findings, each with its cause; ``db_shape`` must be the diagnosed schema only."""
    if not findings:
        # Nothing to explain: the migrations' code is not run at all.
        return []
    pending: Replay | None = None
    fixed: set[FindingKey] = set()
    if state.pending and state.status is not MigrationStatus.UNKNOWN_REVISION:
        pending = replay_revisions(
            scripts, state.pending, copy_shape(db_shape), dialect, connection
        )
        remaining = compare_schemas(model_shape, pending.shape, options)
        fixed = {finding_key(f) for f in findings} - {finding_key(f) for f in remaining}

    # Limitation: a migration that inspects the database through op.get_bind() sees the live
    # database in this replay too, not the empty one it starts from — only a scratch copy of
    # the database would lift that.
    every = tuple(scripts.describe(script) for script in scripts.revisions)
    head = replay_revisions(scripts, every, copy_shape(db_shape, empty=True), dialect, connection)
    model_vs_head = {finding_key(f) for f in compare_schemas(model_shape, head.shape, options)}

    diagnosis = Diagnosis(state, pending, head, fixed, model_vs_head)
    labelled = []
    for finding in findings:
        cause, detail = _cause(finding, diagnosis)
        labelled.append(
            replace(
                finding,
                cause=cause.value,
                cause_detail=detail,
                hint=_hint(finding, cause, state) or finding.hint,
            )
        )
    return labelled


def _hint(finding: Finding, cause: Cause, state: MigrationState) -> str | None:
    """For a missing table or column, whose own hint assumes a migration exists to be run,
    the hint its cause calls for; None keeps the finding's own."""
    if finding.kind not in (Kind.MISSING_TABLE, Kind.MISSING_COLUMN):
        return None
    what = "table" if finding.kind is Kind.MISSING_TABLE else "column"
    if cause is Cause.PENDING_MIGRATION:
        return f"Run `{state.upgrade_command}`: a pending revision creates the {what}."
    if cause is Cause.MISSING_MIGRATION:
        return f"Write the migration that creates the {what} (`{FIX_ALEMBIC}` drafts it)."
    if cause is Cause.OUT_OF_BAND:
        return (
            f"The migrations created the {what} and it was removed by hand: restore it with "
            "`schemadoctor fix`, or drop it from the models and the migrations."
        )
    return None


def _cause(finding: Finding, diagnosis: Diagnosis) -> tuple[Cause, str]:
    key = finding_key(finding)
    state = diagnosis.state
    pending = diagnosis.pending

    if key in diagnosis.fixed_by_pending and pending is not None:
        revision = _responsible(finding, pending)
        return _label(
            Cause.PENDING_MIGRATION,
            f"revision {revision.revision} ({revision.message}) in {revision.path}; "
            f"run `{state.upgrade_command}`.",
        )
    if pending is not None:
        unknown = _replay_doubt(finding, pending, "the pending revisions")
        if unknown:
            return _label(Cause.UNKNOWN, unknown)
    if key in diagnosis.model_vs_head:
        return _label(
            Cause.MISSING_MIGRATION,
            "The models changed and no migration covers it (the migrations at head disagree "
            f"with the models too): write one (`{FIX_ALEMBIC}` drafts it), then run it.",
        )
    unknown = _replay_doubt(finding, diagnosis.head, "the migrations")
    if unknown:
        return _label(Cause.UNKNOWN, unknown)
    if state.status is MigrationStatus.UNKNOWN_REVISION:
        return _label(
            Cause.UNKNOWN,
            f"The database is at revision {', '.join(state.db_revisions)}, which these "
            "scripts do not know: a newer migration (code rolled back since?) may explain it.",
        )
    return _label(Cause.OUT_OF_BAND, _out_of_band_detail(state))


def _out_of_band_detail(state: MigrationState) -> str:
    where = (
        "the database was never stamped by Alembic"
        if state.status is MigrationStatus.NEVER_STAMPED
        else "no revision explains it"
    )
    return (
        "The database was changed outside the migrations (the migrations at head agree with "
        f"the models; {where}): undo the manual change, or adopt it in the models and a "
        "migration."
    )


def _label(cause: Cause, detail: str) -> tuple[Cause, str]:
    return cause, detail


def _replay_doubt(finding: Finding, replay: Replay, what: str) -> str | None:
    """Why the replay cannot tell about this finding: raw SQL on its table, or a failure."""
    for statement in replay.opaque:
        if statement.mentions(finding.table):
            sql = statement.sql if len(statement.sql) <= 80 else statement.sql[:77] + "..."
            return (
                f"Revision {statement.revision.revision} in {statement.revision.path} runs raw "
                f"SQL on {finding.table} that schemadoctor cannot read ({sql}); check it by hand."
            )
    if replay.failed_at is not None:
        return (
            f"Replaying {what} stopped at revision {replay.failed_at.revision} in "
            f"{replay.failed_at.path}: {replay.failure}."
        )
    return None


def _responsible(finding: Finding, replay: Replay) -> Revision:
    """The pending revision that fixes the finding: for something the database lacks, the
    first one that touched it (created it), else the last one; its object before its table."""
    subject = finding.column or finding.name
    on_table = [
        touch
        for touch in replay.touches
        if touch.table == finding.table and touch.schema in (finding.schema, None)
    ]
    exact = [touch for touch in on_table if subject is not None and touch.subject == subject]
    chosen = exact or on_table
    if chosen:
        creates = finding.kind.value.startswith("missing_")
        return chosen[0].revision if creates else chosen[-1].revision
    return replay.replayed[-1] if replay.replayed else replay.failed_at or _nothing()


def _nothing() -> Revision:
    return Revision("?", "", "")


def diagnose_report(
    connection: Connection,
    scripts: MigrationScripts,
    models: LoadedModels,
    db_shape: SchemaShape,
    targets: Sequence[str],
    explicit: Sequence[str],
    options: CompareOptions,
    findings: list[Finding],
) -> tuple[MigrationState, list[Finding], dict[str, MigrationState]]:
    """The first target schema's migration state, the findings with causes, and the states
    of the further target schemas that were diagnosed.

    Alembic keeps one history per database, or one per schema with the version table there:
    each target schema that drifted is diagnosed against the version table it has (else the
    default schema's), the first one together with the models' explicit schemas.
    """
    first = targets[0] if targets else db_shape.default_schema
    first_state = read_migration_state(connection, scripts, [first, None])
    logger.info("Migration state: %s", first_state.message)
    by_schema: dict[str | None, list[Finding]] = {}
    for finding in findings:
        by_schema.setdefault(finding.schema, []).append(finding)

    diagnosed: dict[int, Finding] = {}
    further: dict[str, MigrationState] = {}
    for position, target in enumerate(targets or [first]):
        in_scope = {target, *explicit} if position == 0 else {target}
        scoped = [f for schema in in_scope for f in by_schema.get(schema, [])]
        if not scoped:
            continue
        state = (
            first_state
            if position == 0
            else read_migration_state(connection, scripts, [target, None])
        )
        if position and target is not None:
            further[target] = state
        model_shape = describe_models(models, connection.dialect, target)
        db_part = SchemaShape(
            dialect=db_shape.dialect,
            default_schema=target,
            tables={k: t for k, t in db_shape.tables.items() if k[0] in in_scope},
            enums={k: e for k, e in db_shape.enums.items() if k[0] in in_scope},
        )
        causes = diagnose(
            scoped, model_shape, db_part, state, scripts, connection.dialect, connection, options
        )
        # The scopes are disjoint: the explicit schemas are never targets themselves.
        diagnosed.update(
            (id(finding), labelled) for finding, labelled in zip(scoped, causes, strict=True)
        )
    return first_state, [diagnosed.get(id(finding), finding) for finding in findings], further

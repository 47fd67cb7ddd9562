"""Plan the statements that bring the database in line with the models.

Each fixable finding becomes a change made of Alembic operation objects; the changes are
filtered (destructive ones need --allow-destructive), merged (one ALTER per column, one table
rebuild per SQLite table), ordered by phase and rendered through the dialect's DDL compiler.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from alembic.operations import ops
from sqlalchemy.engine import Connection
from sqlalchemy.schema import sort_tables

from schemadoctor.plan.changes import plan_finding
from schemadoctor.plan.context import PlanContext, PlanOptions, copy_model_tables
from schemadoctor.plan.model import NEEDS_DESTRUCTIVE, Change, Phase, Plan, TableKey
from schemadoctor.plan.render import render_alembic, render_sql, render_statements
from schemadoctor.schema import dialect_family

if TYPE_CHECKING:
    from schemadoctor.api import Drift

__all__ = [
    "NEEDS_DESTRUCTIVE",
    "Change",
    "Phase",
    "Plan",
    "PlanOptions",
    "plan_fix",
    "render_alembic",
    "render_sql",
]

logger = logging.getLogger(__name__)


def plan_fix(connection: Connection, drift: Drift, options: PlanOptions) -> Plan:
    """The plan that fixes the drift's failing findings, read-only queries for the hazards."""
    context = PlanContext(
        connection=connection,
        dialect=dialect_family(connection.dialect.name),
        default_schema=drift.default_schema,
        db_shape=drift.db_shape,
        options=options,
    )
    copy_model_tables(context, drift.models, drift.targets)
    changes = [c for f in drift.report.failing for c in plan_finding(context, f)]

    planned, skipped = _select(changes, options)
    planned = _merge_alterations(context, planned)
    skipped += [change for change in planned if change.skip_reason]
    planned = [change for change in planned if not change.skip_reason]
    if context.dialect == "sqlite":
        planned = _batch_per_table(planned)
    planned = _order(context, planned)

    for change in planned:
        change.statements = render_statements(context, change)
    _commit_labels_first(context, planned)
    logger.info("Planned %d changes, skipped %d", len(planned), len(skipped))
    return Plan(
        dialect=context.dialect,
        url=drift.report.url,
        changes=planned,
        skipped=skipped,
        warnings=list(drift.report.warnings),
    )


def _select(changes: list[Change], options: PlanOptions) -> tuple[list[Change], list[Change]]:
    planned: list[Change] = []
    skipped: list[Change] = []
    for change in changes:
        if change.skip_reason is None and change.destructive and not options.allow_destructive:
            change.skip_reason = NEEDS_DESTRUCTIVE
        (skipped if change.skip_reason else planned).append(change)
    return planned, skipped


def _merge_alterations(context: PlanContext, changes: list[Change]) -> list[Change]:
    """One ALTER per column: MySQL's MODIFY restates the whole column, so it must see all."""
    merged: list[Change] = []
    by_column: dict[tuple[TableKey, str], Change] = {}
    for change in changes:
        if not change.alter or change.table is None or change.column is None:
            merged.append(change)
            continue
        key = (change.table, change.column)
        if key in by_column:
            into = by_column[key]
            into.summary += f"; {change.summary}"
            into.findings += change.findings
            into.hazards += change.hazards
            into.alter.update(change.alter)
            into.destructive = into.destructive or change.destructive
            continue
        by_column[key] = change
        merged.append(change)
    for (table_key, column), change in by_column.items():
        operation = _alter_column(context, table_key, column, change.alter)
        if operation is None:
            change.skip_reason = "the database's column could not be read to alter it"
            continue
        change.operations = [operation]
        change.reverse = [operation.reverse()]
    return merged


def _alter_column(
    context: PlanContext, key: TableKey, column: str, alter: dict[str, Any]
) -> Any | None:
    db_table = context.db_table(key)
    if db_table is None or column not in db_table.c:
        return None
    db_column = db_table.c[column]
    db_default: Any = getattr(db_column.server_default, "arg", None)
    extra: dict[str, Any] = {}
    if context.dialect == "mysql":
        extra["existing_autoincrement"] = db_column.autoincrement is True
    if "postgresql_using" in alter:
        extra["postgresql_using"] = alter["postgresql_using"]
    return ops.AlterColumnOp(
        db_table.name,
        column,
        schema=db_table.schema,
        existing_type=db_column.type,
        existing_nullable=db_column.nullable,
        existing_server_default=db_default if db_default is not None else False,
        existing_comment=db_column.comment,
        modify_type=alter.get("modify_type"),
        modify_nullable=alter.get("modify_nullable"),
        modify_server_default=alter.get("modify_server_default", False),
        **extra,
    )


def _batch_per_table(changes: list[Change]) -> list[Change]:
    """SQLite: every change that needs the table rebuilt goes into one rebuild per table."""
    rebuilt = {c.table for c in changes if c.batch and c.table is not None}
    result: list[Change] = []
    batches: dict[TableKey, Change] = {}
    for change in sorted(changes, key=lambda c: c.phase):
        # The rebuild copies the table as it was read: columns added and indexes dropped
        # before it would come back, so they happen inside it.
        joins = change.table in rebuilt and (
            change.batch or change.phase in (Phase.COLUMNS, Phase.DROP_INDEXES)
        )
        if not joins or change.table is None:
            result.append(change)
            continue
        batch = batches.get(change.table)
        if batch is None:
            batch = Change(
                summary=f"rebuild table {change.table[1]}: {change.summary}",
                phase=Phase.ALTER,
                table=change.table,
                batch=True,
                hazards=["SQLite rebuilds the table: rows are copied inside the transaction"],
            )
            batches[change.table] = batch
            result.append(batch)
        else:
            batch.summary += f"; {change.summary}"
        batch.findings += change.findings
        batch.operations += change.operations
        batch.reverse = change.reverse + batch.reverse
        batch.destructive = batch.destructive or change.destructive
        batch.hazards += [h for h in change.hazards if h not in batch.hazards]
    return result


def _order(context: PlanContext, changes: list[Change]) -> list[Change]:
    """By phase; new tables after the tables they refer to, dropped ones before theirs."""
    model_order = {key: index for index, key in enumerate(context.model_tables)}
    sorted_model = sort_tables(list(context.model_tables.values()))
    for index, table in enumerate(sorted_model):
        key = (table.schema or context.default_schema, table.name)
        model_order[key] = index
    dropped = [
        context.db_table(c.table)
        for c in changes
        if c.phase == Phase.DROP_TABLES and c.table is not None
    ]
    drop_order = {
        (table.schema or context.default_schema, table.name): index
        for index, table in enumerate(reversed(sort_tables([t for t in dropped if t is not None])))
    }

    def position(change: Change) -> tuple[int, int]:
        if change.phase == Phase.TABLES and change.table is not None:
            return (change.phase, model_order.get(change.table, 0))
        if change.phase == Phase.DROP_TABLES and change.table is not None:
            return (change.phase, drop_order.get(change.table, 0))
        return (change.phase, 0)

    return sorted(changes, key=position)


def _commit_labels_first(context: PlanContext, changes: list[Change]) -> None:
    """A label added by ALTER TYPE cannot be used before commit: commit it first if used."""
    label_changes = [c for c in changes if c.phase == Phase.TYPES and "ADD VALUE" in str(c.sql)]
    later = " ".join(s for c in changes if c.phase != Phase.TYPES for s in c.statements)
    for change in label_changes:
        literals = [statement.split(" ADD VALUE IF NOT EXISTS ", 1)[1] for statement in change.sql]
        if any(literal.split(" BEFORE ")[0].split(" AFTER ")[0] in later for literal in literals):
            change.commit_first = True
            change.hazards.append(
                "committed before the other statements: PostgreSQL cannot use a new label in "
                "the transaction that adds it"
            )

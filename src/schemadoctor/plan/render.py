"""Render a plan's changes: SQL statements for the database, or an Alembic revision file."""

from __future__ import annotations

import copy
import datetime
import re
from typing import Any

from alembic.autogenerate import render_python_code
from alembic.operations import Operations, ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Table
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.schema import DefaultClause

from schemadoctor.plan.context import PlanContext
from schemadoctor.plan.model import Change, Plan


class _StatementCollector:
    """An output buffer for Alembic's offline mode that keeps each statement apart."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def write(self, text: str) -> None:
        statement = text.strip()
        if statement.endswith(";"):
            statement = statement[:-1].rstrip()
        if statement:
            self.statements.append(statement)

    def flush(self) -> None:
        """Nothing to flush: statements are kept in memory."""


def render_statements(context: PlanContext, change: Change) -> list[str]:
    """The change's SQL, rendered by Alembic's operations for the live dialect."""
    if change.sql:
        return list(change.sql)
    collector = _StatementCollector()
    migration = MigrationContext.configure(
        dialect=context.render_dialect,
        opts={"as_sql": True, "output_buffer": collector},
    )
    operations = Operations(migration)
    if change.batch and change.table is not None:
        db_table = context.db_table(change.table)
        _render_batch(operations, change, db_table)
    else:
        for operation in change.operations:
            operations.invoke(operation)
    return collector.statements


def _render_batch(operations: Operations, change: Change, db_table: Table | None) -> None:
    assert change.table is not None and db_table is not None
    with operations.batch_alter_table(
        db_table.name, schema=db_table.schema, copy_from=db_table, recreate="always"
    ) as batch:
        for operation in change.operations:
            batch.invoke(operation)


def _comment(text: str) -> str:
    """One SQL comment line; line breaks in names must not end the comment."""
    return "-- " + " ".join(text.replace("\r", " ").split("\n"))


def render_sql(plan: Plan) -> str:
    """The plan as a SQL script, with each change's summary and hazards as comments."""
    lines = [_comment(f"schemadoctor fix for {plan.url} ({plan.dialect})")]
    if plan.empty:
        lines.append(_comment("Nothing to do: no fixable drift."))
    transactional = plan.dialect in ("postgresql", "sqlite")
    opened = False
    for change in plan.ordered:
        if transactional and change.transactional and not change.commit_first and not opened:
            lines += ["", "BEGIN;"]
            opened = True
        if transactional and opened and not change.transactional:
            lines += ["", "COMMIT;"]
            opened = False
            transactional = False
        lines.append("")
        lines.append(_comment(change.summary))
        lines += [_comment(f"hazard: {hazard}") for hazard in change.hazards]
        lines += [f"{statement};" for statement in change.statements]
    if opened:
        lines += ["", "COMMIT;"]
    if plan.skipped:
        lines += ["", _comment("Skipped:")]
        for change in plan.skipped:
            lines.append(_comment(f"{change.summary}: {change.skip_reason}"))
            lines += [_comment(f"  hazard: {hazard}") for hazard in change.hazards]
    return "\n".join(lines) + "\n"


def _for_python(operation: Any) -> Any:
    """Alembic renders a bare SQL-expression server default as its text: wrap it to get text()."""
    if not isinstance(operation, ops.AlterColumnOp):
        return operation
    rendered = copy.copy(operation)
    for attribute in ("modify_server_default", "existing_server_default"):
        value = getattr(rendered, attribute)
        if isinstance(value, ClauseElement):
            setattr(rendered, attribute, DefaultClause(value))
    return rendered


def _alembic_operations(change: Change, reverse: bool) -> list[Any]:
    if change.sql and not change.operations:
        texts = change.reverse_sql if reverse else change.sql
        # Alembic wraps op.execute() text in text(): a colon must not start a bind parameter.
        return [ops.ExecuteSQLOp(re.sub(r":(?=\w)", r"\\:", text)) for text in texts]
    operations = [_for_python(op) for op in (change.reverse if reverse else change.operations)]
    if change.batch and change.table is not None and operations:
        first = change.operations[0]
        table_name = getattr(first, "table_name", change.table[1])
        schema = getattr(first, "schema", None)
        return [ops.ModifyTableOps(table_name, list(operations), schema=schema)]
    return list(operations)


def _python(operations: list[Any], dialect: str) -> str:
    if not operations:
        return "    pass"
    # SQL expressions (server defaults such as now()) are written as the database spells them.
    migration = MigrationContext.configure(dialect_name=dialect)
    code = render_python_code(
        ops.UpgradeOps(ops=operations),
        render_as_batch=dialect == "sqlite",
        migration_context=migration,
    )
    return "    " + code.strip()


def render_alembic(plan: Plan, revision: str, down_revision: str | None, message: str) -> str:
    """The plan as an Alembic revision: op.* calls in upgrade(), their reverse in downgrade()."""
    upgrade = [op for change in plan.ordered for op in _alembic_operations(change, False)]
    downgrade = [
        op for change in reversed(plan.ordered) for op in _alembic_operations(change, True)
    ]
    kept_labels = any(
        change.sql and not change.operations and not change.reverse_sql for change in plan.ordered
    )
    note = (
        "    # Enum labels added by upgrade() stay: PostgreSQL cannot drop a label.\n"
        if kept_labels
        else ""
    )
    created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return _TEMPLATE.format(
        message=message,
        revision=revision,
        down_revision=down_revision,
        down_revision_repr=repr(down_revision),
        created=created,
        upgrade=_python(upgrade, plan.dialect),
        downgrade=note + _python(downgrade, plan.dialect),
    )


# Limitation: a model's own column types (TypeDecorator subclasses) are written with their
# module prefix but not imported — passing render_python_code's collected imports would lift it.
_TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {down_revision}
Create Date: {created}

Written by `schemadoctor fix --format alembic`.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql, sqlite  # noqa: F401

revision = {revision!r}
down_revision = {down_revision_repr}
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''

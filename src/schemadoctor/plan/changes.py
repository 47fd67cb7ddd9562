"""One change per finding: the Alembic operations that fix it, its risk and its hazards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from alembic.operations import ops
from sqlalchemy import Column, Computed, ForeignKeyConstraint, Index, Table, UniqueConstraint
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql.schema import DefaultClause

from schemadoctor.findings import Finding, Kind
from schemadoctor.plan import hazards
from schemadoctor.plan.context import PlanContext
from schemadoctor.plan.enums import plan_enum_type, plan_missing_enum_types
from schemadoctor.plan.model import Change, Phase, TableKey
from schemadoctor.schema import dialect_family

# PostgreSQL limits identifiers to 63 bytes; MySQL to 64 characters.
_NAME_LIMIT = 63


def plan_finding(context: PlanContext, finding: Finding) -> Iterator[Change]:
    """The changes that fix one finding (a skipped change says why it cannot)."""
    planner = _PLANNERS.get(finding.kind)
    if planner is None:
        yield _skip(finding, "schemadoctor does not plan this kind of change")
        return
    yield from planner(context, finding)


def _key(finding: Finding) -> TableKey:
    return (finding.schema, finding.table)


def _skip(finding: Finding, reason: str, summary: str | None = None) -> Change:
    return Change(
        summary=summary or f"{finding.kind.value} {finding.subject}",
        phase=Phase.ALTER,
        table=_key(finding),
        findings=[finding],
        skip_reason=reason,
    )


def _family(context: PlanContext) -> str:
    return dialect_family(context.dialect)


def _constraint_name(table: str, columns: tuple[str, ...], suffix: str) -> str:
    """PostgreSQL's own naming rule, so a planned constraint looks like a hand-made one."""
    name = "_".join((table, *columns, suffix))
    return (
        name
        if len(name.encode()) <= _NAME_LIMIT
        else name.encode()[:_NAME_LIMIT].decode(errors="ignore")
    )


def _missing_table(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    table = context.model_tables.get(key)
    if table is None:
        yield _skip(finding, "the models' table could not be found to create it")
        return
    yield from plan_missing_enum_types(context, key, table)
    # Limitation: foreign keys go inline in CREATE TABLE, so two new tables that refer to each
    # other (a cycle) fail on PostgreSQL and MySQL — planning such keys as ALTER TABLE ADD
    # CONSTRAINT after both tables would lift it.
    operations: list[Any] = [_create_table(table)]
    operations += [ops.CreateIndexOp.from_index(index) for index in _sorted_indexes(table)]
    # The SQL comes from SQLAlchemy's own CREATE TABLE, exactly as create_all would emit it
    # (MySQL, for one, puts the autoincrement column first in the primary key).
    dialect = context.render_dialect
    statements = [str(CreateTable(table).compile(dialect=dialect)).strip()]
    statements += [
        str(CreateIndex(index).compile(dialect=dialect)) for index in _sorted_indexes(table)
    ]
    yield Change(
        summary=f"create table {table.name}",
        phase=Phase.TABLES,
        table=key,
        findings=[finding],
        operations=operations,
        reverse=[op.reverse() for op in reversed(operations)],
        sql=statements,
    )


def _create_table(table: Table) -> Any:
    """CREATE TABLE with its constraints in a stable order (Table.constraints is a set)."""
    operation = ops.CreateTableOp.from_table(table)
    columns = [item for item in operation.columns if isinstance(item, Column)]
    constraints = [item for item in operation.columns if not isinstance(item, Column)]
    constraints.sort(
        key=lambda c: (
            type(c).__name__,
            str(_name_of(c) or ""),
            [column.name for column in getattr(c, "columns", [])],
        )
    )
    operation.columns = columns + constraints
    return operation


def _sorted_indexes(table: Table) -> list[Index]:
    return sorted(table.indexes, key=lambda index: str(index.name or ""))


def _bare_column(column: Column[Any]) -> Column[Any]:
    """The column without foreign keys, indexes or unique flags: those have their own findings."""
    server_default = None
    if isinstance(column.server_default, DefaultClause):
        server_default = DefaultClause(column.server_default.arg)
    computed = None
    if column.computed is not None:
        computed = Computed(column.computed.sqltext, persisted=column.computed.persisted)
    arguments: list[Any] = [computed] if computed is not None else []
    if column.identity is not None:
        arguments.append(column.identity._copy())
    return Column(
        column.name,
        column.type,
        *arguments,
        nullable=column.nullable,
        server_default=server_default,
        comment=column.comment,
    )


def _missing_column(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    table = context.model_tables.get(key)
    if table is None or (finding.column or "") not in table.c:
        yield _skip(finding, "the models' column could not be found to add it")
        return
    yield from plan_missing_enum_types(context, key, table, only=finding.column)
    column = _bare_column(table.c[finding.column or ""])
    change = Change(
        summary=f"add column {finding.table}.{finding.column}",
        phase=Phase.COLUMNS,
        table=key,
        column=finding.column,
        findings=[finding],
    )
    no_default = column.server_default is None and column.computed is None
    if not column.nullable and no_default:
        rows = hazards.has_rows(context.connection, context.clause(key))
        if rows or rows is None:
            change.skip_reason = (
                "it would fail: the column is NOT NULL, the model gives it no server default "
                + ("and the table has rows" if rows else "and the table may have rows")
                + "; give it a server_default, or add it nullable, fill it, then SET NOT NULL"
            )
            yield change
            return
    if _family(context) == "sqlite" and _needs_rebuild_to_add(column):
        change.batch = True
        change.hazards.append("SQLite cannot add this column in place: the table is rebuilt")
    operation = ops.AddColumnOp(table.name, column, schema=table.schema)
    change.operations = [operation]
    change.reverse = [operation.reverse()]
    yield change


def _needs_rebuild_to_add(column: Column[Any]) -> bool:
    """SQLite's ADD COLUMN takes only constant defaults, and NOT NULL only with one."""
    default = column.server_default
    if isinstance(default, DefaultClause) and not isinstance(default.arg, str):
        return True
    return (not column.nullable and default is None) or column.computed is not None


def _extra_table(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    db_table = context.db_table(key)
    if db_table is None:
        yield _skip(finding, "the table could not be read to drop it")
        return
    operation = ops.DropTableOp.from_table(db_table)
    yield Change(
        summary=f"drop table {finding.table}",
        phase=Phase.DROP_TABLES,
        table=key,
        findings=[finding],
        operations=[operation],
        reverse=[operation.reverse()],
        destructive=True,
        hazards=[f"deletes the table and its {_table_rows(context, key)}"],
    )


def _table_rows(context: PlanContext, key: TableKey) -> str:
    """The table's row count; PostgreSQL's estimate when the table is too big to count cheaply."""
    if _family(context) == "postgresql":
        qualified = context.render_dialect.identifier_preparer.format_table(context.clause(key))
        estimate = hazards.estimated_rows(context.connection, qualified)
        if estimate is not None and estimate >= hazards.BIG_TABLE_ROWS:
            return f"about {estimate} rows"
    return _rows(hazards.count_rows(context.connection, context.clause(key)))


def _rows(count: int | None) -> str:
    if count is None:
        return "rows (not counted)"
    return f"{count} row" + ("" if count == 1 else "s")


def _verb(count: int | None, verb: str) -> str:
    return f"{verb}s" if count == 1 else verb


def _extra_column(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    db_table = context.db_table(key)
    if db_table is None or (finding.column or "") not in db_table.c:
        yield _skip(finding, "the column could not be read to drop it")
        return
    db_column = db_table.c[finding.column or ""]
    if not context.options.allow_destructive and not db_column.nullable:
        # Dropping loses data; letting the column take NULL is enough for ORM inserts to work.
        yield _alter(
            context,
            finding,
            f"allow NULL in {finding.table}.{finding.column} (the models do not map it)",
            modify_nullable=True,
        )
        return
    operation = ops.DropColumnOp.from_column_and_tablename(
        db_table.schema, db_table.name, db_column
    )
    name = finding.column or ""
    filled = hazards.count_filled(context.connection, context.clause(key, [name]), [name])
    yield Change(
        summary=f"drop column {finding.table}.{finding.column}",
        phase=Phase.DROP_COLUMNS,
        table=key,
        column=finding.column,
        findings=[finding],
        operations=[operation],
        reverse=[operation.reverse()],
        destructive=True,
        batch=_family(context) == "sqlite",
        hazards=[f"deletes the values of {_rows(filled)}"],
    )


def _alter(context: PlanContext, finding: Finding, summary: str, **alter: Any) -> Change:
    """A column alteration; all of one column's alterations are merged into one statement."""
    return Change(
        summary=summary,
        phase=Phase.ALTER,
        table=_key(finding),
        column=finding.column,
        findings=[finding],
        alter=alter,
        batch=_family(context) == "sqlite",
    )


def _type_mismatch(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    table = context.model_tables.get(key)
    if table is None or (finding.column or "") not in table.c:
        yield _skip(finding, "the models' column could not be found")
        return
    model_column = table.c[finding.column or ""]
    relation = finding.details.get("relation")
    widening = relation == "narrower"
    verb = "widen" if widening else ("narrow" if relation == "wider" else "change")
    change = _alter(
        context,
        finding,
        f"{verb} {finding.table}.{finding.column} from {finding.actual} to {finding.expected}",
        modify_type=model_column.type,
    )
    change.destructive = not widening
    # An explicit cast truncates strings silently: narrowing goes without USING, so it fails.
    if _family(context) == "postgresql" and relation in ("incompatible", "compatible"):
        change.alter["postgresql_using"] = _using(context, finding.column or "", model_column)
    change.hazards.append(_rewrite_hazard(context, finding, widening))
    if not widening:
        change.hazards.append("values that do not convert or fit make the statement fail")
    length = getattr(model_column.type, "length", None)
    if relation == "wider" and isinstance(length, int):
        too_long = hazards.count_longer(
            context.connection, context.clause(key, [model_column.name]), model_column.name, length
        )
        if too_long is None:
            change.hazards.append("fails if values are too long (they could not be counted)")
        elif too_long:
            change.skip_reason = (
                f"it would fail: {_rows(too_long)} {_verb(too_long, 'hold')} values longer "
                f"than {length} characters in {finding.column}; shorten them first"
            )
    yield from plan_missing_enum_types(context, key, table, only=finding.column)
    yield change


def _using(context: PlanContext, column: str, model_column: Column[Any]) -> str:
    """``"column"::type``: the conversion PostgreSQL needs for a change it cannot cast alone."""
    preparer = context.render_dialect.identifier_preparer
    type_text = context.render_dialect.type_compiler_instance.process(model_column.type)
    return f"{preparer.quote(column)}::{type_text}"


def _rewrite_hazard(context: PlanContext, finding: Finding, widening: bool) -> str:
    family = _family(context)
    if family == "sqlite":
        return "SQLite rebuilds the table to change a type (rows are copied)"
    if family == "postgresql":
        if widening and (finding.expected or "").upper().startswith(("VARCHAR", "NUMERIC")):
            return "lengthening the type needs no rewrite, only a brief exclusive lock"
        return "PostgreSQL rewrites the table under an exclusive lock: reads and writes wait"
    return "MySQL may copy the table to change the type; writes wait on older versions"


def _nullability(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    if finding.expected == "NULL":
        yield _alter(
            context,
            finding,
            f"drop NOT NULL on {finding.table}.{finding.column}",
            modify_nullable=True,
        )
        return
    change = _alter(
        context,
        finding,
        f"set NOT NULL on {finding.table}.{finding.column}",
        modify_nullable=False,
    )
    change.destructive = True
    nulls = hazards.count_nulls(
        context.connection, context.clause(key, [finding.column or ""]), finding.column or ""
    )
    if nulls:
        change.skip_reason = (
            f"it would fail: {_rows(nulls)} {_verb(nulls, 'hold')} NULL in {finding.column}; "
            "fill them first"
        )
    elif nulls is None:
        change.hazards.append("fails if the column holds NULLs (they could not be counted)")
    else:
        change.hazards.append("scans the table under an exclusive lock to check for NULLs")
    yield change


def _default(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    table = context.model_tables.get(key)
    if table is None or (finding.column or "") not in table.c:
        yield _skip(finding, "the models' column could not be found")
        return
    default = table.c[finding.column or ""].server_default
    if not isinstance(default, DefaultClause):
        yield _skip(finding, "the model's server default is not a plain DDL default")
        return
    yield _alter(
        context,
        finding,
        f"set the server default of {finding.table}.{finding.column} to {finding.expected}",
        modify_server_default=default.arg,
    )


def _inline_enum(context: PlanContext, finding: Finding) -> Iterator[Change]:
    """MySQL's ENUM / SET column: the labels live in the column type, changed by MODIFY."""
    key = _key(finding)
    table = context.model_tables.get(key)
    db_shape = context.db_table_shape(key)
    db_column = db_shape.column(finding.column or "") if db_shape else None
    if table is None or (finding.column or "") not in table.c or db_column is None:
        yield _skip(finding, "the column could not be found on both sides")
        return
    model_labels = tuple(
        str(label) for label in getattr(table.c[finding.column or ""].type, "enums", ())
    )
    removed = [label for label in db_column.enum_labels or () if label not in model_labels]
    change = _alter(
        context,
        finding,
        f"change the allowed values of {finding.table}.{finding.column} to {finding.expected}",
        modify_type=table.c[finding.column or ""].type,
    )
    if removed:
        change.destructive = True
        change.hazards.append(
            f"removes {', '.join(map(repr, removed))}: rows holding them make it fail"
        )
    yield change


def _enum(context: PlanContext, finding: Finding) -> Iterator[Change]:
    # A PostgreSQL enum type's finding names a column that uses it, but the fix is on the type.
    if finding.column is not None and finding.details.get("type") != "enum":
        yield from _inline_enum(context, finding)
        return
    yield from plan_enum_type(context, finding)


def _model_index(table: Table, finding: Finding) -> Index | None:
    for index in table.indexes:
        if finding.name and index.name == finding.name:
            return index
    return None


def _missing_index(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    table = context.model_tables.get(key)
    index = _model_index(table, finding) if table is not None else None
    if index is None:
        yield _skip(finding, "the models' index could not be found (is it named?)")
        return
    operation = ops.CreateIndexOp.from_index(index)
    change = Change(
        summary=f"create index {index.name} on {finding.table}",
        phase=Phase.INDEXES,
        table=key,
        findings=[finding],
        operations=[operation],
        reverse=[operation.reverse()],
    )
    replaces = finding.details.get("replaces")
    if replaces:
        db_table = context.db_table(key)
        db_index = _db_index(db_table, replaces)
        if db_index is None:
            yield _skip(finding, f"the database's index {replaces} could not be read to replace it")
            return
        drop = ops.DropIndexOp.from_index(db_index)
        change.operations = [drop, operation]
        change.reverse = [operation.reverse(), drop.reverse()]
        change.destructive = True
        change.summary = f"replace index {index.name} on {finding.table}"
    columns = [c.name for c in index.columns]
    _index_hazards(context, key, change, bool(index.unique), columns)
    yield change


def _db_index(db_table: Table | None, name: str) -> Index | None:
    if db_table is None:
        return None
    return next((index for index in db_table.indexes if index.name == name), None)


def _index_hazards(
    context: PlanContext, key: TableKey, change: Change, unique: bool, columns: list[str]
) -> None:
    if unique and columns and context.db_table_shape(key) is not None:
        duplicates = hazards.count_duplicates(
            context.connection, context.clause(key, columns), columns
        )
        if duplicates is None:
            change.hazards.append("fails if the values repeat (duplicates could not be counted)")
        elif duplicates:
            change.skip_reason = (
                f"it would fail: {duplicates} value(s) of ({', '.join(columns)}) occur more than "
                "once; remove the duplicates first"
            )
    if _family(context) != "postgresql" or context.db_table_shape(key) is None:
        return
    if context.options.concurrently:
        for operation in change.operations:
            if isinstance(operation, ops.CreateIndexOp):
                operation.kw["postgresql_concurrently"] = True
        change.transactional = False
        change.hazards.append("built CONCURRENTLY after the transaction: writes go on meanwhile")
        return
    preparer = context.render_dialect.identifier_preparer
    qualified = preparer.format_table(context.clause(key))
    rows = hazards.estimated_rows(context.connection, qualified)
    if rows is not None and rows >= hazards.BIG_TABLE_ROWS:
        change.hazards.append(
            f"blocks writes to the table (about {rows} rows) while it builds; use --concurrently"
        )


def _missing_unique(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    table = context.model_tables.get(key)
    constraint = _model_unique(table, finding) if table is not None else None
    if constraint is None:
        yield _skip(finding, "the models' unique constraint could not be found")
        return
    columns = tuple(c.name for c in constraint.columns)
    name = _name_of(constraint) or _constraint_name(finding.table, columns, "key")
    assert table is not None
    operation = ops.CreateUniqueConstraintOp(name, table.name, list(columns), schema=table.schema)
    change = Change(
        summary=f"add unique constraint {name} on {finding.table} ({', '.join(columns)})",
        phase=Phase.INDEXES,
        table=key,
        findings=[finding],
        operations=[operation],
        reverse=[operation.reverse()],
        batch=_family(context) == "sqlite",
    )
    _index_hazards(context, key, change, True, list(columns))
    change.transactional = True
    yield change


def _name_of(constraint: Any) -> str | None:
    name = constraint.name
    if name is None or type(name).__name__ == "_NoneName":
        return None
    return str(name)


def _model_unique(table: Table, finding: Finding) -> UniqueConstraint | None:
    expected = (finding.expected or "").removeprefix("UNIQUE (").removesuffix(")")
    for constraint in table.constraints:
        if not isinstance(constraint, UniqueConstraint):
            continue
        if finding.name and _name_of(constraint) == finding.name:
            return constraint
        if ", ".join(c.name for c in constraint.columns) == expected:
            return constraint
    return None


def _model_foreign_key(table: Table, finding: Finding) -> ForeignKeyConstraint | None:
    for constraint in table.foreign_key_constraints:
        if finding.name and _name_of(constraint) == finding.name:
            return constraint
    for constraint in table.foreign_key_constraints:
        columns = ", ".join(element.parent.name for element in constraint.elements)
        referred = constraint.elements[0].column.table.name
        if (finding.expected or "").startswith(f"({columns}) -> {referred}("):
            return constraint
    return None


def _missing_foreign_key(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    table = context.model_tables.get(key)
    constraint = _model_foreign_key(table, finding) if table is not None else None
    if table is None or constraint is None:
        yield _skip(finding, "the models' foreign key could not be found")
        return
    columns = tuple(element.parent.name for element in constraint.elements)
    referred = constraint.elements[0].column.table
    referred_columns = [element.column.name for element in constraint.elements]
    name = _name_of(constraint) or _constraint_name(finding.table, columns, "fkey")
    operation = ops.CreateForeignKeyOp(
        name,
        table.name,
        referred.name,
        list(columns),
        referred_columns,
        source_schema=table.schema,
        referent_schema=referred.schema,
        ondelete=constraint.ondelete,
        onupdate=constraint.onupdate,
        deferrable=constraint.deferrable,
        initially=constraint.initially,
    )
    change = Change(
        summary=f"add foreign key {name} on {finding.table} {finding.expected}",
        phase=Phase.FOREIGN_KEYS,
        table=key,
        findings=[finding],
        operations=[operation],
        reverse=[operation.reverse()],
        batch=_family(context) == "sqlite",
    )
    replaces = finding.details.get("replaces")
    if replaces:
        _replace_foreign_key(context, key, change, replaces)
    _orphans(context, key, change, columns, referred, referred_columns)
    yield change


def _replace_foreign_key(context: PlanContext, key: TableKey, change: Change, name: str) -> None:
    db_table = context.db_table(key)
    existing = None
    if db_table is not None:
        existing = next((fk for fk in db_table.foreign_key_constraints if fk.name == name), None)
    if existing is None:
        change.skip_reason = f"the database's foreign key {name} could not be read to replace it"
        return
    drop = ops.DropConstraintOp.from_constraint(existing)
    change.operations.insert(0, drop)
    change.reverse.append(drop.reverse())
    change.destructive = True
    change.summary = change.summary.replace("add foreign key", "replace foreign key", 1)


def _orphans(
    context: PlanContext,
    key: TableKey,
    change: Change,
    columns: tuple[str, ...],
    referred: Table,
    referred_columns: list[str],
) -> None:
    db_shape = context.db_table_shape(key)
    if db_shape is None or any(db_shape.column(name) is None for name in columns):
        return
    referred_key = (referred.schema or context.default_schema, referred.name)
    if context.db_table_shape(referred_key) is None:
        orphans = hazards.count_filled(context.connection, context.clause(key, columns), columns)
    else:
        orphans = hazards.count_orphans(
            context.connection,
            context.clause(key, columns),
            columns,
            context.clause(referred_key, referred_columns),
            referred_columns,
        )
    if orphans is None:
        change.hazards.append("fails if rows refer to nothing (orphans could not be counted)")
    elif orphans:
        change.skip_reason = (
            f"it would fail: {_rows(orphans)} {_verb(orphans, 'refer')} to no row of "
            f"{referred.name}; delete or fix them first"
        )
    elif _family(context) == "postgresql":
        change.hazards.append("checks every row while holding a lock that blocks writes")


def _extra_index(context: PlanContext, finding: Finding) -> Iterator[Change]:
    key = _key(finding)
    db_index = _db_index(context.db_table(key), finding.name or "")
    if db_index is None:
        yield _skip(finding, "the index could not be read to drop it")
        return
    operation = ops.DropIndexOp.from_index(db_index)
    yield Change(
        summary=f"drop index {finding.name} on {finding.table}",
        phase=Phase.DROP_INDEXES,
        table=key,
        findings=[finding],
        operations=[operation],
        reverse=[operation.reverse()],
        destructive=True,
        hazards=["queries that used the index get slower"],
    )


def _extra_constraint(
    context: PlanContext, finding: Finding, kind: str, phase: Phase
) -> Iterator[Change]:
    key = _key(finding)
    db_table = context.db_table(key)
    constraint = None
    if db_table is not None and finding.name:
        constraint = next((c for c in db_table.constraints if c.name == finding.name), None)
    if constraint is None:
        yield _skip(
            finding,
            f"the {kind} has no name in the database, so no statement can drop it"
            if not finding.name
            else f"the {kind} could not be read to drop it",
        )
        return
    operation = ops.DropConstraintOp.from_constraint(constraint)
    yield Change(
        summary=f"drop {kind} {finding.name} on {finding.table}",
        phase=phase,
        table=key,
        findings=[finding],
        operations=[operation],
        reverse=[operation.reverse()],
        destructive=True,
        batch=_family(context) == "sqlite",
    )


def _extra_unique(context: PlanContext, finding: Finding) -> Iterator[Change]:
    # On MySQL the unique constraint is a unique index (details["index"]): drop the index.
    if finding.details.get("index"):
        yield from _extra_index(context, finding)
        return
    yield from _extra_constraint(context, finding, "unique constraint", Phase.DROP_INDEXES)


def _extra_foreign_key(context: PlanContext, finding: Finding) -> Iterator[Change]:
    yield from _extra_constraint(context, finding, "foreign key", Phase.DROP_FOREIGN_KEYS)


def _primary_key(context: PlanContext, finding: Finding) -> Iterator[Change]:
    # Limitation: primary keys are not changed — planning it needs the drop/add of every
    # foreign key that refers to the table, in the right order.
    yield _skip(finding, "changing a primary key is not planned; write that migration by hand")


_PLANNERS: dict[Kind, Callable[[PlanContext, Finding], Iterator[Change]]] = {
    Kind.MISSING_TABLE: _missing_table,
    Kind.EXTRA_TABLE: _extra_table,
    Kind.MISSING_COLUMN: _missing_column,
    Kind.EXTRA_COLUMN: _extra_column,
    Kind.TYPE_MISMATCH: _type_mismatch,
    Kind.NULLABILITY_MISMATCH: _nullability,
    Kind.DEFAULT_MISMATCH: _default,
    Kind.PRIMARY_KEY_MISMATCH: _primary_key,
    Kind.MISSING_INDEX: _missing_index,
    Kind.EXTRA_INDEX: _extra_index,
    Kind.MISSING_UNIQUE_CONSTRAINT: _missing_unique,
    Kind.EXTRA_UNIQUE_CONSTRAINT: _extra_unique,
    Kind.MISSING_FOREIGN_KEY: _missing_foreign_key,
    Kind.EXTRA_FOREIGN_KEY: _extra_foreign_key,
    Kind.ENUM_MISMATCH: _enum,
}

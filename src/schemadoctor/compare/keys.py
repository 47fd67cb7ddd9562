"""Primary keys, unique constraints and foreign keys."""

from __future__ import annotations

from collections.abc import Iterator

from schemadoctor.findings import Finding, Kind, Severity
from schemadoctor.schema import ForeignKeyShape, TableShape

# Referential actions that behave alike on each dialect (MySQL treats RESTRICT as NO ACTION).
_NO_ACTION = {"NO ACTION", "", None}


def compare_primary_key(model: TableShape, db: TableShape) -> Iterator[Finding]:
    """The primary key's columns."""
    # Limitation: the columns' order is not compared — a primary key declared column by column
    # has no order of its own in the models; a flag for an explicit PrimaryKeyConstraint would.
    if set(model.primary_key) == set(db.primary_key):
        return
    expected = ", ".join(model.primary_key) or "none"
    actual = ", ".join(db.primary_key) or "none"
    yield Finding(
        kind=Kind.PRIMARY_KEY_MISMATCH,
        severity=Severity.ERROR,
        schema=model.schema,
        table=model.name,
        message=(
            f"Table {model.name} has primary key ({actual}) in the database but ({expected}) "
            "in the models; the ORM identifies rows by the wrong columns."
        ),
        hint="Change the primary key with a migration, or fix the model's primary_key columns.",
        expected=expected,
        actual=actual,
        location=model.location,
    )


def _unique_sets_in_db(db: TableShape) -> set[frozenset[str]]:
    sets = {frozenset(unique.columns) for unique in db.uniques}
    for index in db.indexes:
        if index.unique and not index.expressions and index.where is None:
            sets.add(frozenset(column for column in index.columns if column))
    return sets


def compare_uniques(dialect: str, model: TableShape, db: TableShape) -> Iterator[Finding]:
    """Unique constraints; a unique index on the same columns satisfies one (MySQL has no other)."""
    db_sets = _unique_sets_in_db(db)
    model_sets = {frozenset(unique.columns) for unique in model.uniques}
    model_sets |= {
        frozenset(c for c in index.columns if c)
        for index in model.indexes
        if index.unique and not index.expressions
    }
    primary_key = frozenset(db.primary_key)
    for unique in model.uniques:
        if frozenset(unique.columns) in db_sets:
            continue
        columns = ", ".join(unique.columns)
        yield Finding(
            kind=Kind.MISSING_UNIQUE_CONSTRAINT,
            severity=Severity.WARNING,
            schema=model.schema,
            table=model.name,
            name=unique.name,
            column=unique.columns[0] if len(unique.columns) == 1 else None,
            message=(
                f"Table {model.name} has no unique constraint on ({columns}) in the database; "
                "duplicates the models forbid can be written."
            ),
            hint=(
                "Remove duplicates, then add the constraint with a migration or `schemadoctor fix`."
            ),
            expected=f"UNIQUE ({columns})",
            actual=None,
            location=model.location,
        )
    for unique in db.uniques:
        if frozenset(unique.columns) in model_sets or frozenset(unique.columns) == primary_key:
            continue
        columns = ", ".join(unique.columns)
        yield Finding(
            kind=Kind.EXTRA_UNIQUE_CONSTRAINT,
            severity=Severity.WARNING,
            schema=db.schema,
            table=db.name,
            name=unique.name,
            column=unique.columns[0] if len(unique.columns) == 1 else None,
            message=(
                f"Table {db.name} has unique constraint {unique.name or ''} on ({columns}) in "
                "the database that the models do not declare; writes of duplicates fail."
            ).replace("constraint  on", "constraint on"),
            hint="Declare it in the model (UniqueConstraint) or drop it.",
            expected=None,
            actual=f"UNIQUE ({columns})",
            location=model.location,
        )


def _action(dialect: str, action: str | None) -> str | None:
    value = (action or "").upper() or None
    if value in _NO_ACTION or (dialect == "mysql" and value == "RESTRICT"):
        return None
    return value


def _target(dialect: str, fk: ForeignKeyShape) -> tuple[object, ...]:
    return (fk.columns, fk.referred_schema, fk.referred_table, fk.referred_columns)


def _full(dialect: str, fk: ForeignKeyShape) -> tuple[object, ...]:
    return (*_target(dialect, fk), _action(dialect, fk.ondelete), _action(dialect, fk.onupdate))


def _describe(fk: ForeignKeyShape) -> str:
    text = f"({', '.join(fk.columns)}) -> {fk.referred_table}({', '.join(fk.referred_columns)})"
    if fk.ondelete:
        text += f" ON DELETE {fk.ondelete}"
    if fk.onupdate:
        text += f" ON UPDATE {fk.onupdate}"
    return text


def compare_foreign_keys(dialect: str, model: TableShape, db: TableShape) -> Iterator[Finding]:
    """Foreign keys by columns, referred table and columns, and ON DELETE / ON UPDATE."""
    db_full = {_full(dialect, fk) for fk in db.foreign_keys}
    model_full = {_full(dialect, fk) for fk in model.foreign_keys}
    db_by_target = {_target(dialect, fk): fk for fk in db.foreign_keys}
    model_targets = {_target(dialect, fk) for fk in model.foreign_keys}
    for fk in model.foreign_keys:
        if _full(dialect, fk) in db_full:
            continue
        existing = db_by_target.get(_target(dialect, fk))
        yield Finding(
            kind=Kind.MISSING_FOREIGN_KEY,
            severity=Severity.WARNING,
            schema=model.schema,
            table=model.name,
            name=fk.name,
            column=fk.columns[0] if len(fk.columns) == 1 else None,
            message=(
                f"Table {model.name} has foreign key {_describe(existing)} in the database, "
                f"but the models declare {_describe(fk)}."
                if existing
                else f"Table {model.name} lacks the foreign key {_describe(fk)} in the database."
            ),
            hint="Add the foreign key (after removing orphan rows) with `schemadoctor fix`.",
            expected=_describe(fk),
            actual=_describe(existing) if existing else None,
            location=model.location,
            details={"replaces": existing.name if existing else None},
        )
    for fk in db.foreign_keys:
        if _full(dialect, fk) in model_full or _target(dialect, fk) in model_targets:
            continue
        yield Finding(
            kind=Kind.EXTRA_FOREIGN_KEY,
            severity=Severity.WARNING,
            schema=db.schema,
            table=db.name,
            name=fk.name,
            column=fk.columns[0] if len(fk.columns) == 1 else None,
            message=(
                f"Table {db.name} has foreign key {_describe(fk)} in the database that the "
                "models do not declare; writes and deletes it forbids fail."
            ),
            hint="Declare it in the model (ForeignKey) or drop it.",
            expected=None,
            actual=_describe(fk),
            location=model.location,
        )

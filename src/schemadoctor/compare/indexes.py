"""Indexes: columns, order, uniqueness; expressions and predicates where they can be read."""

from __future__ import annotations

import re
from collections.abc import Iterator

from schemadoctor.findings import Finding, Kind, Severity
from schemadoctor.schema import IndexShape, TableShape


def _normalize_sql(text: str | None) -> str | None:
    """SQL text with casts, quotes, parentheses, spacing and case removed, for comparing."""
    if text is None:
        return None
    text = re.sub(r"::\s*[a-z_ ]+(\([^)]*\))?(\[\])?", "", text, flags=re.IGNORECASE)
    text = re.sub(r"[\"`()\s]", "", text)
    return text.lower()


def _definition(index: IndexShape) -> tuple[object, ...]:
    return (
        index.columns,
        index.unique,
        tuple(_normalize_sql(e) for e in index.expressions),
        index.descending,
        _normalize_sql(index.where),
    )


def _describe(index: IndexShape) -> str:
    parts = []
    expressions = iter(index.expressions)
    for position, column in enumerate(index.columns):
        text = column if column is not None else next(expressions, "<expression>")
        if index.descending and position < len(index.descending) and index.descending[position]:
            text += " DESC"
        parts.append(text)
    text = f"{'UNIQUE ' if index.unique else ''}({', '.join(parts)})"
    if index.where:
        text += f" WHERE {index.where}"
    return text


def _covered_by_unique_constraint(index: IndexShape, db: TableShape) -> bool:
    columns = frozenset(c for c in index.columns if c)
    return (
        index.unique
        and not index.expressions
        and index.where is None
        and any(frozenset(u.columns) == columns for u in db.uniques)
    )


def compare_indexes(
    dialect: str, model: TableShape, db: TableShape, warnings: list[str]
) -> Iterator[Finding]:
    """Missing and extra indexes, matched by name first and then by definition."""
    unmatched_db = list(db.indexes)
    for index in model.indexes:
        same_name = next((d for d in unmatched_db if index.name and d.name == index.name), None)
        if same_name is not None:
            unmatched_db.remove(same_name)
            if _definition(same_name) == _definition(index):
                continue
            if _only_sql_differs(index, same_name):
                warnings.append(
                    f"Index {model.name}.{index.name}: its expression or WHERE predicate is "
                    f"spelled differently in the database ({_describe(same_name)}) than in the "
                    f"models ({_describe(index)}); that part was not compared."
                )
                continue
            yield _missing(model, index, same_name)
            continue
        twin = next((d for d in unmatched_db if _definition(d) == _definition(index)), None)
        if twin is not None:
            unmatched_db.remove(twin)
            continue
        if _covered_by_unique_constraint(index, db):
            continue
        yield _missing(model, index, None)

    model_fk_columns = {fk.columns for fk in model.foreign_keys}
    model_unique_sets = {frozenset(unique.columns) for unique in model.uniques}
    for index in unmatched_db:
        if _is_implicit(dialect, index, db, model_fk_columns):
            continue
        if _backs_model_unique(index, model_unique_sets):
            continue
        yield _extra(dialect, model, index)


def _only_sql_differs(model: IndexShape, db: IndexShape) -> bool:
    has_sql = bool(model.expressions or db.expressions or model.where or db.where)
    return (
        has_sql
        and model.unique == db.unique
        and len(model.columns) == len(db.columns)
        and [c is None for c in model.columns] == [c is None for c in db.columns]
        and [c for c in model.columns if c] == [c for c in db.columns if c]
        and (model.where is None) == (db.where is None)
    )


def _backs_model_unique(index: IndexShape, model_unique_sets: set[frozenset[str]]) -> bool:
    """A unique index that enforces a model's UniqueConstraint (MySQL's only kind) is no extra."""
    if not index.unique or index.expressions or index.where is not None:
        return False
    return frozenset(c for c in index.columns if c) in model_unique_sets


def _is_implicit(
    dialect: str, index: IndexShape, db: TableShape, model_fk_columns: set[tuple[str, ...]]
) -> bool:
    """MySQL creates an index for every foreign key that lacks one: that is not drift."""
    if dialect != "mysql" or index.unique:
        return False
    columns = tuple(index.columns)
    return any(columns == fk.columns for fk in db.foreign_keys) or columns in model_fk_columns


def _missing(table: TableShape, index: IndexShape, existing: IndexShape | None) -> Finding:
    message = f"Index {index.name or ''} {_describe(index)} on {table.name} is not in the database."
    if existing is not None:
        message = (
            f"Index {index.name} on {table.name} is {_describe(existing)} in the database but "
            f"{_describe(index)} in the models."
        )
    return Finding(
        kind=Kind.MISSING_INDEX,
        severity=Severity.WARNING,
        schema=table.schema,
        table=table.name,
        name=index.name,
        column=index.columns[0] if len(index.columns) == 1 else None,
        message=" ".join(message.split()),
        hint=(
            "Create the index with a migration or `schemadoctor fix` (CONCURRENTLY on busy tables)."
        ),
        expected=_describe(index),
        actual=_describe(existing) if existing else None,
        location=table.location,
        details={"replaces": existing.name if existing else None},
    )


def _extra(dialect: str, table: TableShape, index: IndexShape) -> Finding:
    if dialect == "mysql" and index.unique and not index.expressions:
        return _extra_mysql_unique(table, index)
    return Finding(
        kind=Kind.EXTRA_INDEX,
        severity=Severity.WARNING,
        schema=table.schema,
        table=table.name,
        name=index.name,
        column=index.columns[0] if len(index.columns) == 1 else None,
        message=(
            f"Index {index.name} {_describe(index)} on {table.name} is in the database but not "
            "in the models."
            + (" Its uniqueness makes writes of duplicates fail." if index.unique else "")
        ),
        hint="Declare it in the model (Index or index=True), or drop it if unused.",
        expected=None,
        actual=_describe(index),
        location=table.location,
    )


def _extra_mysql_unique(table: TableShape, index: IndexShape) -> Finding:
    """MySQL keeps a UNIQUE constraint as a unique index: report it as the constraint."""
    columns = ", ".join(c for c in index.columns if c)
    return Finding(
        kind=Kind.EXTRA_UNIQUE_CONSTRAINT,
        severity=Severity.WARNING,
        schema=table.schema,
        table=table.name,
        name=index.name,
        column=index.columns[0] if len(index.columns) == 1 else None,
        message=(
            f"Table {table.name} has unique key {index.name} on ({columns}) in the database "
            "that the models do not declare; writes of duplicates fail."
        ),
        hint="Declare it in the model (UniqueConstraint or unique=True) or drop it.",
        expected=None,
        actual=f"UNIQUE ({columns})",
        location=table.location,
        details={"index": True},
    )

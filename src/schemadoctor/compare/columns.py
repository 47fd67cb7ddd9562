"""Column-level comparison: presence, type, nullability and server default."""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter

from schemadoctor.compare.defaults import normalize_default
from schemadoctor.compare.types import (
    TypeRelation,
    TypeSignature,
    is_harmless,
    parse_type,
    relate,
)
from schemadoctor.findings import Finding, Kind, Severity
from schemadoctor.schema import ColumnShape, SchemaShape, TableShape


def _finding(table: TableShape, column: ColumnShape, **fields: object) -> Finding:
    # An extra column has no line of its own in the models: the caller passes the table's.
    fields.setdefault("location", column.location)
    return Finding(
        schema=table.schema,
        table=table.name,
        column=column.name,
        **fields,  # type: ignore[arg-type]
    )


def signature_of(dialect: str, column: ColumnShape) -> TypeSignature | None:
    """The column's type signature; None when its type could not be read."""
    if column.type == "?":
        return None
    if column.enum_name is not None:
        return TypeSignature("enum", column.enum_name.lower(), labels=column.enum_labels or ())
    return parse_type(dialect, column.type)


# The facts of a model column and its database column that decide the findings, names left out.
_PairKey = tuple[object, ...]


def compare_columns(
    dialect: str,
    model: TableShape,
    db: TableShape,
    model_schema: SchemaShape,
    db_schema: SchemaShape,
    in_sync: set[_PairKey] | None = None,
) -> Iterator[Finding]:
    """Missing and extra columns, and the differences of the columns on both sides.

    ``in_sync`` remembers the column pairs that gave no finding: thousands of tables repeat a
    few dozen pairs (an INTEGER column reflected as ``integer``), so each is judged once.
    """
    db_columns = {column.name: column for column in db.columns}
    same_key = set(model.primary_key) == set(db.primary_key)
    matched = 0
    for model_column in model.columns:
        db_column = db_columns.get(model_column.name)
        if db_column is None:
            yield _finding(
                model,
                model_column,
                kind=Kind.MISSING_COLUMN,
                severity=Severity.ERROR,
                message=(
                    f"Column {model.name}.{model_column.name} is in the models but not in the "
                    "database; every query that selects it fails."
                ),
                hint="Run the pending migration (alembic upgrade head) or `schemadoctor fix`.",
                expected=model_column.type,
                actual=None,
            )
            continue
        matched += 1
        model_facts = _FACTS(model_column)
        db_facts = _FACTS(db_column)
        # Every rule below finds nothing between equal facts (a test holds them to it), and
        # most columns read back exactly as the models declare them.
        if model_facts == db_facts:
            continue
        if in_sync is None:
            yield from _compare_column(dialect, model, model_column, db_column, db.primary_key)
            continue
        key = (model_facts, db_facts, db_column.name in db.primary_key, same_key)
        if key in in_sync:
            continue
        findings = list(_compare_column(dialect, model, model_column, db_column, db.primary_key))
        if findings:
            yield from findings
        else:
            in_sync.add(key)
    if matched < len(db_columns):
        model_names = {column.name for column in model.columns}
        for db_column in db.columns:
            if db_column.name not in model_names:
                yield _extra_column(model, db_column)


# The facts of one column that _compare_column reads, gathered in one call.
_FACTS = attrgetter(
    "type",
    "nullable",
    "default",
    "autoincrement",
    "computed",
    "enum_name",
    "enum_schema",
    "enum_labels",
)


def _extra_column(table: TableShape, column: ColumnShape) -> Finding:
    blocks_inserts = not (
        column.nullable or column.default is not None or column.autoincrement or column.computed
    )
    if blocks_inserts:
        return _finding(
            table,
            column,
            location=table.location,
            kind=Kind.EXTRA_COLUMN,
            severity=Severity.ERROR,
            message=(
                f"Column {table.name}.{column.name} is NOT NULL with no default and the models "
                "do not map it, so every ORM insert into the table fails."
            ),
            hint="Map the column in the model, give it a server default, or drop it.",
            expected=None,
            actual=f"{column.type} NOT NULL",
        )
    return _finding(
        table,
        column,
        location=table.location,
        kind=Kind.EXTRA_COLUMN,
        severity=Severity.INFO,
        message=f"Column {table.name}.{column.name} is in the database but not in the models.",
        hint="Harmless to the application; map it or drop it when it is no longer used.",
        expected=None,
        actual=column.type,
    )


def _compare_column(
    dialect: str,
    table: TableShape,
    model: ColumnShape,
    db: ColumnShape,
    db_primary_key: tuple[str, ...],
) -> Iterator[Finding]:
    model_signature = signature_of(dialect, model)
    db_signature = signature_of(dialect, db)
    if model_signature is not None and db_signature is not None and not model.computed:
        yield from _compare_type(dialect, table, model, db, model_signature, db_signature)
    if db.name not in db_primary_key:
        finding = _compare_nullability(table, model, db)
        if finding is not None:
            yield finding
    # A changed primary key is reported as such; its numbering follows from it. A nullable
    # column left out of an insert just stays NULL.
    same_key = set(table.primary_key) == set(db_primary_key)
    numbered = db.autoincrement or db.computed or db.default or db.nullable
    if model.autoincrement and same_key and not numbered:
        yield _unnumbered(table, model, db)
    compares_default = not (model.autoincrement or model.computed or _sequence_backed(model, db))
    if model.default is not None and compares_default:
        finding = _compare_default(dialect, table, model, db, db_signature or model_signature)
        if finding is not None:
            yield finding
    elif model.default is None and not (model.autoincrement or model.computed):
        finding = _unmodelled_default(dialect, table, model, db, db_signature)
        if finding is not None:
            yield finding


def _compare_type(
    dialect: str,
    table: TableShape,
    model: ColumnShape,
    db: ColumnShape,
    model_signature: TypeSignature,
    db_signature: TypeSignature,
) -> Iterator[Finding]:
    if model_signature.family in ("enum", "set") and db_signature.family == model_signature.family:
        if model.enum_name is None and model_signature.labels != db_signature.labels:
            yield _enum_labels_finding(table, model, model_signature.labels, db_signature.labels)
        if model.enum_name is None or model.enum_name == db.enum_name:
            return
    relation = relate(dialect, model_signature, db_signature)
    if relation == TypeRelation.EQUAL:
        return
    yield _finding(
        table,
        model,
        kind=Kind.TYPE_MISMATCH,
        severity=_type_severity(dialect, relation, model_signature, db_signature),
        message=_type_message(table, model, db, relation),
        hint=_TYPE_HINTS[relation],
        expected=model.type,
        actual=db.type,
        details={"relation": relation.value, "fix": _TYPE_FIXES[relation]},
    )


def _type_severity(
    dialect: str, relation: TypeRelation, model: TypeSignature, db: TypeSignature
) -> Severity:
    if relation == TypeRelation.INCOMPATIBLE:
        return Severity.ERROR
    if relation == TypeRelation.COMPATIBLE and is_harmless(dialect, model, db):
        return Severity.INFO
    return Severity.WARNING


def _type_message(
    table: TableShape, model: ColumnShape, db: ColumnShape, relation: TypeRelation
) -> str:
    subject = f"Column {table.name}.{model.name}"
    if relation == TypeRelation.INCOMPATIBLE:
        return (
            f"{subject} is {db.type} in the database, incompatible with the models' "
            f"{model.type}: the application's values do not fit the column."
        )
    if relation == TypeRelation.NARROWER:
        return (
            f"{subject} is {db.type} in the database, narrower than the models' {model.type}: "
            "values the application accepts may not fit; widening the column is safe."
        )
    if relation == TypeRelation.WIDER:
        return f"{subject} is {db.type} in the database, wider than the models' {model.type}."
    return f"{subject} is {db.type} in the database and {model.type} in the models."


# What the type change in the database would be: told apart in the JSON report as well.
_TYPE_FIXES = {
    TypeRelation.NARROWER: "widen",
    TypeRelation.WIDER: "narrow",
    TypeRelation.INCOMPATIBLE: "convert",
    TypeRelation.COMPATIBLE: "align",
    TypeRelation.EQUAL: "none",
}

_TYPE_HINTS = {
    TypeRelation.INCOMPATIBLE: (
        "The application reads and writes a different kind of value; migrate the column "
        "(a type change with a USING conversion) or change the model."
    ),
    TypeRelation.NARROWER: (
        "Widen the column (a safe change) with a migration or `schemadoctor fix`."
    ),
    TypeRelation.WIDER: (
        "Narrow the model's type to match, or narrow the column after checking the data."
    ),
    TypeRelation.COMPATIBLE: (
        "The values are compatible; align the model or the column to remove drift."
    ),
    TypeRelation.EQUAL: "",
}


def _enum_labels_finding(
    table: TableShape,
    column: ColumnShape,
    model_labels: tuple[str, ...],
    db_labels: tuple[str, ...],
) -> Finding:
    missing = [label for label in model_labels if label not in db_labels]
    return _finding(
        table,
        column,
        kind=Kind.ENUM_MISMATCH,
        # Extra values only widen what the column takes; a new order only changes sorting.
        severity=(
            Severity.ERROR
            if missing
            else Severity.WARNING
            if set(db_labels) - set(model_labels)
            else Severity.INFO
        ),
        message=(
            f"Column {table.name}.{column.name} allows {', '.join(map(repr, db_labels))} in "
            f"the database but the models use {', '.join(map(repr, model_labels))}."
            + (f" Writing {', '.join(map(repr, missing))} fails." if missing else "")
        ),
        hint="Add the missing values to the column's ENUM definition with a migration.",
        expected=", ".join(model_labels),
        actual=", ".join(db_labels),
        details={"missing_labels": missing},
    )


def _compare_nullability(table: TableShape, model: ColumnShape, db: ColumnShape) -> Finding | None:
    if model.nullable == db.nullable:
        return None
    if model.nullable:
        breaks_writes = db.default is None and not db.autoincrement and not db.computed
        return _finding(
            table,
            model,
            kind=Kind.NULLABILITY_MISMATCH,
            severity=Severity.ERROR if breaks_writes else Severity.WARNING,
            message=(
                f"Column {table.name}.{model.name} is NOT NULL in the database but nullable in "
                "the models"
                + (
                    "; inserts that leave it empty fail."
                    if breaks_writes
                    else "; its default fills it when left empty."
                )
            ),
            hint="Make the model's column nullable=False, or drop NOT NULL in a migration.",
            expected="NULL",
            actual="NOT NULL",
        )
    return _finding(
        table,
        model,
        kind=Kind.NULLABILITY_MISMATCH,
        severity=Severity.WARNING,
        message=(
            f"Column {table.name}.{model.name} is nullable in the database but NOT NULL in the "
            "models; the database accepts NULLs the application does not expect."
        ),
        hint="Fill the NULLs, then SET NOT NULL with a migration (`schemadoctor fix`).",
        expected="NOT NULL",
        actual="NULL",
    )


def _unnumbered(table: TableShape, model: ColumnShape, db: ColumnShape) -> Finding:
    """The models let the database number the column; the database no longer does."""
    return _finding(
        table,
        model,
        kind=Kind.DEFAULT_MISMATCH,
        severity=Severity.WARNING,
        message=(
            f"Column {table.name}.{model.name} is numbered by the database in the models "
            "(autoincrement, serial or identity), but the database column has no sequence, "
            "identity or AUTO_INCREMENT: inserts that leave it out fail."
        ),
        hint="Restore the sequence default, identity or AUTO_INCREMENT with a migration.",
        expected="autoincrement",
        actual=db.default,
        details={"autoincrement": True},
    )


def _sequence_backed(model: ColumnShape, db: ColumnShape) -> bool:
    """A model default of nextval(...) on a column the database numbers from a sequence."""
    # Limitation: the readers drop a sequence default into ``autoincrement``, so which sequence
    # feeds the column is not compared — keeping the nextval text in the shape would lift it.
    model_default = (model.default or "").strip().lower()
    return db.autoincrement and model_default.startswith("nextval(")


def _unmodelled_default(
    dialect: str,
    table: TableShape,
    model: ColumnShape,
    db: ColumnShape,
    signature: TypeSignature | None,
) -> Finding | None:
    """A database default the models do not declare: harmless, inserts just get a value."""
    if db.autoincrement or db.computed or normalize_default(db.default, signature, dialect) is None:
        return None
    # Limitation: a model column with server_default=FetchedValue() looks like one with no
    # server default here — a flag on ColumnShape would let it skip this finding.
    return _finding(
        table,
        model,
        kind=Kind.DEFAULT_MISMATCH,
        severity=Severity.INFO,
        message=(
            f"Column {table.name}.{model.name} has server default {db.default} in the database; "
            "the models declare none."
        ),
        hint="Declare server_default in the model, or drop the default with a migration.",
        expected=None,
        actual=db.default,
    )


def _compare_default(
    dialect: str,
    table: TableShape,
    model: ColumnShape,
    db: ColumnShape,
    signature: TypeSignature | None,
) -> Finding | None:
    model_default = normalize_default(model.default, signature, dialect)
    db_default = normalize_default(db.default, signature, dialect)
    if model_default == db_default:
        return None
    return _finding(
        table,
        model,
        kind=Kind.DEFAULT_MISMATCH,
        severity=Severity.WARNING,
        message=(
            f"Column {table.name}.{model.name} has server default {db.default or 'none'} in "
            f"the database but {model.default} in the models."
        ),
        hint="Set the server default with a migration or `schemadoctor fix`.",
        expected=model.default,
        actual=db.default,
    )

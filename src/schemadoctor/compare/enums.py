"""PostgreSQL enum types: labels present, missing, and in order."""

from __future__ import annotations

from collections.abc import Iterator

from schemadoctor.findings import Finding, Kind, Severity
from schemadoctor.schema import ColumnShape, SchemaShape


def compare_enums(model: SchemaShape, db: SchemaShape) -> Iterator[Finding]:
    """One finding per named enum type whose labels differ between the two sides."""
    for key, model_enum in model.enums.items():
        db_enum = db.enums.get(key)
        expected = ", ".join(model_enum.labels)
        if db_enum is None:
            user = _first_existing_user(model, db, key)
            if user is None:
                continue
            yield Finding(
                kind=Kind.ENUM_MISMATCH,
                severity=Severity.ERROR,
                schema=model_enum.schema,
                table=user[0],
                column=user[1],
                name=model_enum.name,
                message=f"Enum type {model_enum.name} is in the models but not in the database.",
                hint="Create the type with a migration or `schemadoctor fix`.",
                expected=expected,
                actual=None,
                details={"missing_labels": list(model_enum.labels), "type": "enum"},
            )
            continue
        missing = [label for label in model_enum.labels if label not in db_enum.labels]
        extra = [label for label in db_enum.labels if label not in model_enum.labels]
        if not missing and not extra and model_enum.labels == db_enum.labels:
            continue
        if missing:
            severity = Severity.ERROR
            problem = f"lacks {', '.join(map(repr, missing))}: writing those values fails"
        elif extra:
            severity = Severity.WARNING
            problem = f"also has {', '.join(map(repr, extra))}, which the models do not know"
        else:
            severity = Severity.INFO
            problem = "orders the labels differently, which changes sorting"
        user = _first_user(model, key)
        yield Finding(
            kind=Kind.ENUM_MISMATCH,
            severity=severity,
            schema=model_enum.schema,
            table=user[0] if user else model_enum.name,
            column=user[1] if user else None,
            name=model_enum.name,
            message=f"Enum type {model_enum.name} in the database {problem}.",
            hint="Add the labels with ALTER TYPE ... ADD VALUE (`schemadoctor fix`).",
            expected=expected,
            actual=", ".join(db_enum.labels),
            details={"missing_labels": missing, "extra_labels": extra, "type": "enum"},
        )


def _uses(column: ColumnShape, key: tuple[str | None, str]) -> bool:
    """True when the column is of the enum type, or an array of it."""
    if (column.enum_schema, column.enum_name) == key:
        return True
    return column.enum_name is None and column.type.replace('"', "").lower() in (
        f"{key[1]}[]".lower(),
        f"{key[0]}.{key[1]}[]".lower(),
    )


def _first_user(model: SchemaShape, key: tuple[str | None, str]) -> tuple[str, str] | None:
    """The first model table and column of the enum type, to file the finding under."""
    for table in model.tables.values():
        for column in table.columns:
            if _uses(column, key):
                return table.name, column.name
    return None


def _first_existing_user(
    model: SchemaShape, db: SchemaShape, key: tuple[str | None, str]
) -> tuple[str, str] | None:
    # When no table that uses the type exists yet, missing_table already says it all.
    for table_key, table in model.tables.items():
        if table_key not in db.tables:
            continue
        for column in table.columns:
            if _uses(column, key):
                return table.name, column.name
    return None

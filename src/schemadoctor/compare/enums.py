"""PostgreSQL enum types: labels present, missing, and in order."""

from __future__ import annotations

from collections.abc import Iterator

from schemadoctor.findings import Finding, Kind, Severity
from schemadoctor.schema import SchemaShape


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
                table=user,
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
        yield Finding(
            kind=Kind.ENUM_MISMATCH,
            severity=severity,
            schema=model_enum.schema,
            table=_first_user(model, key) or model_enum.name,
            name=model_enum.name,
            message=f"Enum type {model_enum.name} in the database {problem}.",
            hint="Add the labels with ALTER TYPE ... ADD VALUE (`schemadoctor fix`).",
            expected=expected,
            actual=", ".join(db_enum.labels),
            details={"missing_labels": missing, "extra_labels": extra, "type": "enum"},
        )


def _first_user(model: SchemaShape, key: tuple[str | None, str]) -> str | None:
    """The first model table with a column of the enum type, to file the finding under."""
    for table in model.tables.values():
        if any((c.enum_schema, c.enum_name) == key for c in table.columns):
            return table.name
    return None


def _first_existing_user(
    model: SchemaShape, db: SchemaShape, key: tuple[str | None, str]
) -> str | None:
    # When no table that uses the type exists yet, missing_table already says it all.
    for table_key, table in model.tables.items():
        if table_key in db.tables and any(
            (c.enum_schema, c.enum_name) == key for c in table.columns
        ):
            return table.name
    return None

"""PostgreSQL enum types: CREATE TYPE for a missing type, ADD VALUE for missing labels."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import String, literal
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql.named_types import (
    CreateDomainType,
    CreateEnumType,
    DropDomainType,
    DropEnumType,
)
from sqlalchemy.schema import Table

from schemadoctor.findings import Finding
from schemadoctor.plan.context import PlanContext
from schemadoctor.plan.model import Change, Phase, TableKey


def _enum_type(context: PlanContext, key: TableKey, labels: tuple[str, ...]) -> postgresql.ENUM:
    return postgresql.ENUM(*labels, name=key[1], schema=context.schema_arg(key[0]))


def _create_type(context: PlanContext, key: TableKey, finding: Finding | None) -> Change:
    labels = context.model_enums[key]
    enum_type = _enum_type(context, key, labels)
    dialect = context.render_dialect
    context.created_enums.add(key)
    return Change(
        summary=f"create enum type {key[1]} ({', '.join(labels)})",
        phase=Phase.TYPES,
        table=None,
        findings=[finding] if finding else [],
        sql=[str(CreateEnumType(enum_type).compile(dialect=dialect))],
        reverse_sql=[str(DropEnumType(enum_type).compile(dialect=dialect))],
    )


def plan_missing_enum_types(
    context: PlanContext, table_key: TableKey, table: Table, only: str | None = None
) -> Iterator[Change]:
    """CREATE TYPE for the enum types a table (or one of its columns) needs that do not exist."""
    for column in table.columns:
        if only is not None and column.name != only:
            continue
        if isinstance(column.type, postgresql.DOMAIN):
            yield from _missing_domain(context, column.type)
            continue
        enum = getattr(column.type, "item_type", column.type)
        if not isinstance(enum, postgresql.ENUM) or not enum.name:
            continue
        # Planned enum types name their schema unless it is the default one.
        key = (enum.schema or context.default_schema, str(enum.name))
        if key in context.db_shape.enums or key in context.created_enums:
            continue
        if key in context.model_enums:
            yield _create_type(context, key, None)


def _missing_domain(context: PlanContext, planned: postgresql.DOMAIN) -> Iterator[Change]:
    """CREATE DOMAIN for a domain type the models use that the database lacks."""
    key = (planned.schema or context.default_schema, str(planned.name))
    domain = context.model_domains.get(key)
    if domain is None or key in context.created_enums or context.domain_exists(key):
        return
    context.created_enums.add(key)
    dialect = context.render_dialect
    yield Change(
        summary=f"create domain {key[1]}",
        phase=Phase.TYPES,
        table=None,
        sql=[str(CreateDomainType(domain).compile(dialect=dialect))],
        reverse_sql=[str(DropDomainType(domain).compile(dialect=dialect))],
    )


def _quote_literal(context: PlanContext, value: str) -> str:
    compiled = literal(value, String()).compile(
        dialect=context.render_dialect, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def _add_value(context: PlanContext, key: TableKey, label: str, anchor: tuple[str, str]) -> str:
    preparer = context.render_dialect.identifier_preparer
    type_name = preparer.format_type(_enum_type(context, key, ()))  # type: ignore[attr-defined]
    position, neighbour = anchor
    statement = f"ALTER TYPE {type_name} ADD VALUE IF NOT EXISTS {_quote_literal(context, label)}"
    if neighbour:
        statement += f" {position} {_quote_literal(context, neighbour)}"
    return statement


def _anchors(model: tuple[str, ...], db: tuple[str, ...]) -> list[tuple[str, tuple[str, str]]]:
    """Each missing label with the existing label it goes BEFORE (or AFTER), keeping order."""
    present = list(db)
    result: list[tuple[str, tuple[str, str]]] = []
    for index, label in enumerate(model):
        if label in present:
            continue
        following = next((other for other in model[index + 1 :] if other in present), None)
        if following is not None:
            anchor = ("BEFORE", following)
            present.insert(present.index(following), label)
        else:
            anchor = ("AFTER", present[-1] if present else "")
            present.append(label)
        result.append((label, anchor))
    return result


def plan_enum_type(context: PlanContext, finding: Finding) -> Iterator[Change]:
    """The changes for a named enum type's finding."""
    key = (finding.schema, finding.name or "")
    labels = context.model_enums.get(key)
    if labels is None:
        yield _skip(finding, "the models' enum type could not be found")
        return
    db_enum = context.db_shape.enums.get(key)
    if db_enum is None:
        if key not in context.created_enums:
            yield _create_type(context, key, finding)
        return
    additions = _anchors(labels, db_enum.labels)
    if additions:
        yield Change(
            summary=f"add {', '.join(repr(label) for label, _ in additions)} to enum {key[1]}",
            phase=Phase.TYPES,
            table=None,
            findings=[finding],
            sql=[_add_value(context, key, label, anchor) for label, anchor in additions],
        )
    extra = [label for label in db_enum.labels if label not in labels]
    reordered = not additions and not extra
    if extra or reordered:
        # Limitation: labels are never removed or reordered — that needs a new type, a column
        # conversion and a drop of the old type, which we do not plan.
        what = f"remove {', '.join(map(repr, extra))} from" if extra else "reorder the labels of"
        yield _skip(
            finding,
            f"PostgreSQL cannot {what} an enum type in place; recreate the type in a migration",
            summary=f"{what} enum {key[1]}",
        )


def _skip(finding: Finding, reason: str, summary: str | None = None) -> Change:
    return Change(
        summary=summary or f"enum {finding.name}",
        phase=Phase.TYPES,
        table=None,
        findings=[finding],
        skip_reason=reason,
    )

"""Describe the models' tables as plain shapes, in the terms of the database's dialect."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ARRAY, CheckConstraint, Column, Enum, Index, Table, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError, NoReferencedTableError
from sqlalchemy.sql.elements import (
    ClauseElement,
    ColumnClause,
    False_,
    Null,
    TextClause,
    True_,
    UnaryExpression,
)
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.schema import DefaultClause

from schemadoctor.compare.defaults import quote_literal
from schemadoctor.load import LoadedModels
from schemadoctor.locations import DeferredLocator, Locator, SourceLocator
from schemadoctor.schema import (
    ColumnShape,
    EnumShape,
    ForeignKeyShape,
    IndexShape,
    SchemaShape,
    TableShape,
    UniqueShape,
    dialect_family,
)

logger = logging.getLogger(__name__)


def describe_models(
    models: LoadedModels,
    dialect: Dialect,
    default_schema: str | None,
    locator: Locator | None = None,
) -> SchemaShape:
    """The models' tables and enum types as shapes keyed by their real schema.

    ``locator`` finds the source lines; by default a SourceLocator (api passes a deferred one
    that reads the source only for the lines that findings end up showing).
    """
    shape = SchemaShape(dialect=dialect_family(dialect.name), default_schema=default_schema)
    locator = locator or SourceLocator(models)
    texts = CompiledTexts(dialect)
    # The native enum types that columns use are gathered as the columns are described.
    enums = shape.enums if dialect.name == "postgresql" else None
    for table in models.declared_tables:
        table_shape = describe_table(
            table, dialect, default_schema, shape.warnings, locator, texts, enums
        )
        shape.tables[(table_shape.schema, table_shape.name)] = table_shape
    return shape


class CompiledTexts:
    """The DDL texts of column types and server defaults, compiled once per distinct one.

    Thousands of tables use a few dozen distinct types and defaults; compiling each column's
    anew was a third of describing the models. Two types are the same when their class and
    attributes are: a type with an unhashable attribute (an Enum's labels, a variant's mapping)
    is compiled every time. Of defaults, only argument-less functions such as ``now()`` and the
    true / false / null constants are shared; any other clause is compiled every time.
    """

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._texts: dict[object, str] = {}
        self._clauses: dict[object, str] = {}
        self._kinds: dict[type, str] = {}
        self._kinds_and_texts: dict[object, tuple[str, str]] = {}
        # The DDL texts of the plain types (no enumeration, array or domain) whose key is their
        # class and every attribute: describe_all looks these up without a call.
        self.known_plain: dict[object, str] = {}
        self._domain_type = _domain_type(dialect)

    def kind(self, column_type: Any) -> str:
        """Whether a type is an enumeration, a PostgreSQL domain or neither, by its class."""
        cls = type(column_type)
        kind = self._kinds.get(cls)
        if kind is None:
            if issubclass(cls, Enum):
                kind = _ENUM
            elif issubclass(cls, ARRAY):
                kind = _ARRAY
            elif self._domain_type is not None and issubclass(cls, self._domain_type):
                kind = _DOMAIN
            else:
                kind = _PLAIN
            self._kinds[cls] = kind
        return kind

    def clause(self, clause: Any) -> str:
        """The SQL text of a default or computed expression, literal values rendered inline."""
        if _shareable_function(clause):
            # A sequence's next_value() takes its text from the sequence, not from its name.
            sequence = getattr(clause, "sequence", None)
            key: object = (type(clause), clause.name, tuple(clause.packagenames or ()), sequence)
        elif isinstance(clause, (True_, False_, Null)):
            key = type(clause)
        else:
            return _compile_clause(clause, self._dialect)
        text = self._clauses.get(key)
        if text is None:
            text = self._clauses[key] = _compile_clause(clause, self._dialect)
        return text

    def kind_and_text(self, column_type: Any) -> tuple[str, str]:
        """The type's kind and DDL text (a domain's: its base type's); CompileError when it has
        none. Looked up once per distinct type: the two lookups apart cost a sixth of
        describing."""
        key: tuple[Any, ...] | None = self._key(column_type)
        try:
            return self._kinds_and_texts[key]
        except KeyError:
            pass
        except TypeError:
            key = None
        kind = self.kind(column_type)
        text = self.text(column_type.data_type if kind is _DOMAIN else column_type)
        if key is not None:
            self._kinds_and_texts[key] = (kind, text)
            if kind is _PLAIN and key[1:] == tuple(column_type.__dict__.items()):
                self.known_plain[key] = text
        return kind, text

    def text(self, column_type: Any) -> str:
        """The DDL text of ``column_type`` in the dialect; CompileError when it has none."""
        key = self._key(column_type)
        try:
            return self._texts[key]
        except KeyError:
            text = self._texts[key] = compile_type(column_type, self._dialect)
            return text
        except TypeError:
            return compile_type(column_type, self._dialect)

    @staticmethod
    def _key(column_type: Any) -> tuple[Any, ...]:
        # Unhashable when an attribute is: the lookups then compile the type every time.
        attributes = column_type.__dict__
        if "_create_events" in attributes:
            # A schema type (Boolean, Enum) carries its own event hooks and lookups, which are
            # no part of how it compiles; keyed with them, no two such columns share a text.
            attributes = {
                name: tuple(value) if isinstance(value, list) else value
                for name, value in attributes.items()
                if name not in _EVENT_ATTRIBUTES
            }
        return (type(column_type), *attributes.items())


# What the type classes keep besides the arguments they compile from.
_EVENT_ATTRIBUTES = frozenset(
    {"dispatch", "_create_events", "metadata", "_valid_lookup", "_object_lookup"}
)
_PLAIN, _ENUM, _ARRAY, _DOMAIN = "plain", "enum", "array", "domain"


def _shareable_function(clause: Any) -> bool:
    # Only SQLAlchemy's own functions compile from their name alone; a custom FunctionElement
    # (the utcnow recipe) may compile from anything it holds, so it is compiled every time.
    if not isinstance(clause, FunctionElement):
        return False
    if type(clause).__module__ != "sqlalchemy.sql.functions":
        return False
    arguments = getattr(clause, "clauses", None)
    return arguments is None or not getattr(arguments, "clauses", True)


def _enum_schema(table: Table, default_schema: str | None) -> str | None:
    # An Enum without a schema of its own is created on the search path, whatever schema its
    # table lives in (inherit_schema=True and MetaData(schema=...) set the type's schema).
    return default_schema


def _native_enum(column: Column[Any], dialect: Dialect) -> Enum | None:
    column_type = column.type
    # ARRAY(ENUM) creates and uses the enum type just as a plain ENUM column does.
    item_type = getattr(column_type, "item_type", None)
    if isinstance(item_type, Enum):
        column_type = item_type
    if isinstance(column_type, Enum) and column_type.native_enum and dialect.name == "postgresql":
        return column_type if column_type.name else None
    return None


def describe_table(
    table: Table,
    dialect: Dialect,
    default_schema: str | None,
    warnings: list[str],
    locator: Locator | None = None,
    texts: CompiledTexts | None = None,
    enums: dict[tuple[str | None, str], EnumShape] | None = None,
) -> TableShape:
    """One model table as a shape; the native enum types its columns use go into ``enums``."""
    schema = table.schema or default_schema
    location = locator.table(table) if locator else None
    context = _ColumnContext(
        table, dialect, default_schema, warnings, locator, texts or CompiledTexts(dialect), enums
    )
    columns = context.describe_all(table.columns)
    _warn_checks(table, warnings)
    for index in table.indexes:
        _warn_index_options(table, index, dialect, warnings)
    return TableShape(
        name=table.name,
        schema=schema,
        columns=columns,
        primary_key=_primary_key(table),
        indexes=tuple(_describe_index(index, dialect, warnings) for index in table.indexes),
        uniques=tuple(
            UniqueShape(_name(constraint.name), tuple(c.name for c in constraint.columns))
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)
        ),
        foreign_keys=tuple(
            _describe_foreign_key(constraint, default_schema)
            for constraint in table.foreign_key_constraints
        ),
        location=location,
    )


def _warn_checks(table: Table, warnings: list[str]) -> None:
    # Limitation: CHECK constraints are not compared — the readers would have to return their
    # SQL, and comparing it needs the expression normalisation that index predicates get.
    names = sorted(
        _name(constraint.name) or "unnamed"
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    )
    if names:
        warnings.append(
            f"Table {table.name}: CHECK constraints are not compared ({', '.join(names)})."
        )


# Index options that change an index but that the shapes do not carry, per dialect.
_UNCOMPARED_INDEX_OPTIONS = {
    "postgresql": ("using", "include", "ops", "with", "tablespace", "nulls_not_distinct"),
    "mysql": ("prefix", "length", "using", "with_parser"),
}


def _warn_index_options(table: Table, index: Index, dialect: Dialect, warnings: list[str]) -> None:
    # Limitation: the index method, INCLUDE columns, operator classes, MySQL prefixes and
    # lengths are not compared — IndexShape would need fields that both readers fill.
    family = dialect_family(dialect.name)
    options: Mapping[str, Any] = index.dialect_options.get(family, {})
    used = [
        f"{option}={options[option]}"
        for option in _UNCOMPARED_INDEX_OPTIONS.get(family, ())
        if options.get(option) and str(options.get(option)).lower() != "btree"
    ]
    if used:
        warnings.append(
            f"Index {_name(index.name) or 'unnamed'} on {table.name}: "
            f"{', '.join(used)} is not compared; its columns are."
        )


def _primary_key(table: Table) -> tuple[str, ...]:
    """The primary key columns in the order CREATE TABLE lists them."""
    constraint = table.primary_key
    # An implicit primary key puts the autoincrement column first (MySQL requires it).
    columns = (
        constraint.columns_autoinc_first
        if getattr(constraint, "_implicit_generated", False)
        else constraint.columns
    )
    return tuple(column.name for column in columns)


def _name(name: Any) -> str | None:
    if name is None or type(name).__name__ == "_NoneName":
        return None
    return str(name)


def compile_type(column_type: Any, dialect: Dialect) -> str:
    """The DDL text of a type for the dialect, as CREATE TABLE would spell it."""
    return str(dialect.type_compiler_instance.process(column_type))


class _ColumnContext:
    """Describes the columns of one table; what is the same for every column is looked up once."""

    def __init__(
        self,
        table: Table,
        dialect: Dialect,
        default_schema: str | None,
        warnings: list[str],
        locator: Locator | None,
        texts: CompiledTexts,
        enums: dict[tuple[str | None, str], EnumShape] | None = None,
    ) -> None:
        self.table = table
        self.enums = enums
        self.dialect = dialect
        self.default_schema = default_schema
        self.warnings = warnings
        self.locator = locator
        self.texts = texts
        self.autoincrement_column = table.autoincrement_column
        # A deferred locator gives every column of a table one placeholder: ask for it once.
        self.shared_location = (
            locator.column(table, "") if isinstance(locator, DeferredLocator) else None
        )

    def describe_all(self, columns: Iterable[Column[Any]]) -> tuple[ColumnShape, ...]:
        """The table's columns as shapes.

        A plain column — a type seen before that is no enumeration or domain, nothing computed
        — is described right here: thousands of tables are mostly such columns, and the calls
        that the general ``describe`` makes per column cost a third of describing them.
        """
        known = self.texts.known_plain
        autoincrement_column = self.autoincrement_column
        location = self.shared_location
        shapes: list[ColumnShape] = []
        for column in columns:
            column_type = column.type
            attributes = column_type.__dict__
            try:
                type_text = known[(type(column_type), *attributes.items())]
            except (KeyError, TypeError):
                type_text = None
            if type_text is None or location is None or column.computed is not None:
                shapes.append(self.describe(column))
                continue
            # Positional, in ColumnShape's field order: keywords cost twice as much per record.
            shapes.append(
                ColumnShape(
                    column.name,
                    type_text,
                    bool(column.nullable),
                    None
                    if column.server_default is None
                    else _describe_default(column, self.dialect, self.texts),
                    autoincrement_column is column or column.identity is not None,
                    None,
                    None,
                    None,
                    None,
                    location,
                )
            )
        return tuple(shapes)

    def describe(self, column: Column[Any]) -> ColumnShape:
        """One column as a shape."""
        column_type = column.type
        try:
            # The catalog reports a domain column by its base type, NOT NULL and default.
            kind, type_text = self.texts.kind_and_text(column_type)
        except CompileError as error:
            kind = self.texts.kind(column_type)
            self.warnings.append(
                f"The type of {self.table.name}.{column.name} cannot be rendered for "
                f"{self.dialect.name} ({error}); its type was not compared."
            )
            type_text = "?"
        domain: Any = column_type if kind is _DOMAIN else None

        enum_name = enum_schema = None
        labels: tuple[str, ...] | None = None
        if self.enums is not None and kind is not _PLAIN:
            self._gather_enum(column)
        if kind is _ENUM:
            labels = tuple(str(label) for label in column_type.enums)  # type: ignore[attr-defined]
            if _native_enum(column, self.dialect) is not None:
                enum_name = str(column_type.name)  # type: ignore[attr-defined]
                enum_schema = column_type.schema or _enum_schema(  # type: ignore[attr-defined]
                    self.table, self.default_schema
                )

        computed = None
        if column.computed is not None:
            computed = _compile_clause(column.computed.sqltext, self.dialect)
        default = None
        if column.server_default is not None:
            default = _describe_default(column, self.dialect, self.texts)
        if domain is not None and default is None and domain.default is not None:
            default = _compile_clause(domain.default, self.dialect)

        # Positional, in ColumnShape's field order: keywords cost twice as much per record.
        return ColumnShape(
            column.name,
            type_text,
            bool(column.nullable) and not (domain is not None and domain.not_null),
            default,
            self.autoincrement_column is column or column.identity is not None,
            computed,
            enum_name,
            enum_schema,
            labels,
            self.shared_location
            or (self.locator.column(self.table, column.name) if self.locator else None),
        )

    def _gather_enum(self, column: Column[Any]) -> None:
        enum = _native_enum(column, self.dialect)
        if enum is not None and self.enums is not None:
            schema = enum.schema or _enum_schema(self.table, self.default_schema)
            labels = tuple(str(label) for label in enum.enums)
            self.enums[(schema, str(enum.name))] = EnumShape(str(enum.name), schema, labels)


def _domain_type(dialect: Dialect) -> type | None:
    """PostgreSQL's DOMAIN type class; None on the dialects that have no domains."""
    if dialect.name != "postgresql":
        return None
    from sqlalchemy.dialects.postgresql import DOMAIN

    return DOMAIN


def _describe_default(
    column: Column[Any], dialect: Dialect, texts: CompiledTexts | None = None
) -> str | None:
    default = column.server_default
    if not isinstance(default, DefaultClause):
        return None
    argument = default.arg
    if isinstance(argument, str):
        return quote_literal(argument, dialect_family(dialect.name))
    if isinstance(argument, TextClause):
        return argument.text
    if isinstance(argument, ClauseElement):
        return texts.clause(argument) if texts else _compile_clause(argument, dialect)
    return str(argument)


def _compile_clause(clause: Any, dialect: Dialect) -> str:
    if isinstance(clause, TextClause):
        return clause.text
    if isinstance(clause, str):
        return clause
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _index_column_name(element: Any, table_columns: Any) -> str | None:
    """The table column an index element names, or None for an expression."""
    if table_columns is None:
        return None
    # desc("name") keeps the bare name as a label reference rather than the column.
    if type(element).__name__.endswith("label_reference"):
        name = getattr(element, "element", None)
        return name if isinstance(name, str) and name in table_columns else None
    if isinstance(element, ColumnClause) and not element.is_literal:
        return element.name if element.name in table_columns else None
    return None


def _describe_index(index: Index, dialect: Dialect, warnings: list[str]) -> IndexShape:
    columns: list[str | None] = []
    expressions: list[str] = []
    descending: list[bool] = []
    table_columns = index.table.columns if index.table is not None else None
    for expression in index.expressions:
        element = expression
        is_descending = False
        # Unwrap DESC / ASC / NULLS FIRST / NULLS LAST, keeping only the direction.
        while isinstance(element, UnaryExpression) and element.modifier is not None:
            is_descending = is_descending or element.modifier.__name__ == "desc_op"
            element = element.element
        name = _index_column_name(element, table_columns)
        if name is not None:
            columns.append(name)
        else:
            columns.append(None)
            expressions.append(_compile_clause(element, dialect))
        descending.append(is_descending)
    where = None
    for option in ("postgresql_where", "sqlite_where"):
        prefix, _, key = option.partition("_")
        clause = index.dialect_options[prefix].get(key) if prefix in index.dialect_options else None
        if clause is not None and prefix == dialect.name:
            where = _compile_clause(clause, dialect)
    return IndexShape(
        name=_name(index.name),
        columns=tuple(columns),
        unique=bool(index.unique),
        expressions=tuple(expressions),
        descending=tuple(descending) if any(descending) else (),
        where=where,
    )


def _describe_foreign_key(constraint: Any, default_schema: str | None) -> ForeignKeyShape:
    elements = list(constraint.elements)
    try:
        referred = constraint.referred_table
        referred_schema = referred.schema or default_schema
        referred_table = referred.name
        referred_columns = tuple(element.column.name for element in elements)
    except (NoReferencedTableError, AttributeError):
        # The target table is outside this MetaData: read the names from "schema.table.column".
        parts = elements[0].target_fullname.split(".")
        referred_schema = parts[-3] if len(parts) >= 3 else default_schema
        referred_table = parts[-2]
        referred_columns = tuple(e.target_fullname.split(".")[-1] for e in elements)
    return ForeignKeyShape(
        name=_name(constraint.name),
        columns=tuple(element.parent.name for element in elements),
        referred_schema=referred_schema,
        referred_table=referred_table,
        referred_columns=referred_columns,
        ondelete=constraint.ondelete.upper() if constraint.ondelete else None,
        onupdate=constraint.onupdate.upper() if constraint.onupdate else None,
    )

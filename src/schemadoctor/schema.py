"""Plain-data description of a schema, shared by the models side and the database side.

Both sides are reduced to these frozen records before comparing, so that comparison never
builds SQLAlchemy ``Table`` objects and a reflected schema can be saved and loaded as JSON.

The records are treated as immutable but not declared frozen: a frozen dataclass sets each
field through ``object.__setattr__``, which made building them cost three times as much, and
a check of 3,000 tables builds some 140,000 of them per side. Code that needs a changed record
makes one with ``dataclasses.replace``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, unsafe_hash=True)
class Location:
    """Where a table or column is defined in the models' source."""

    path: str
    line: int


@dataclass(slots=True, unsafe_hash=True)
class ColumnShape:
    """One column: its type as DDL text in the database's dialect, and its properties."""

    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    autoincrement: bool = False
    computed: str | None = None
    # Labels of an ENUM type: PostgreSQL's named type or MySQL's inline ENUM / SET.
    enum_name: str | None = None
    enum_schema: str | None = None
    enum_labels: tuple[str, ...] | None = None
    location: Location | None = None


@dataclass(slots=True, unsafe_hash=True)
class IndexShape:
    """An index; an expression element is kept as its SQL text in ``expressions``."""

    name: str | None
    columns: tuple[str | None, ...]
    unique: bool = False
    expressions: tuple[str, ...] = ()
    descending: tuple[bool, ...] = ()
    where: str | None = None
    location: Location | None = None


@dataclass(slots=True, unsafe_hash=True)
class UniqueShape:
    """A UNIQUE constraint."""

    name: str | None
    columns: tuple[str, ...]


@dataclass(slots=True, unsafe_hash=True)
class ForeignKeyShape:
    """A FOREIGN KEY constraint."""

    name: str | None
    columns: tuple[str, ...]
    referred_schema: str | None
    referred_table: str
    referred_columns: tuple[str, ...]
    ondelete: str | None = None
    onupdate: str | None = None


@dataclass(slots=True, unsafe_hash=True)
class TableShape:
    """A table with everything the comparison looks at."""

    name: str
    schema: str | None
    columns: tuple[ColumnShape, ...]
    primary_key: tuple[str, ...] = ()
    indexes: tuple[IndexShape, ...] = ()
    uniques: tuple[UniqueShape, ...] = ()
    foreign_keys: tuple[ForeignKeyShape, ...] = ()
    location: Location | None = None

    def column(self, name: str) -> ColumnShape | None:
        """The column called ``name``, or None."""
        for column in self.columns:
            if column.name == name:
                return column
        return None


@dataclass(slots=True, unsafe_hash=True)
class EnumShape:
    """A named enumerated type (PostgreSQL ``CREATE TYPE ... AS ENUM``)."""

    name: str
    schema: str | None
    labels: tuple[str, ...]


@dataclass
class SchemaShape:
    """All tables and enum types of one side, keyed by (schema, name).

    ``schema`` is always the real schema name: the models' ``None`` is resolved to the
    database's default schema before comparing, so both sides use the same keys.
    """

    dialect: str
    default_schema: str | None
    tables: dict[tuple[str | None, str], TableShape] = field(default_factory=dict)
    enums: dict[tuple[str | None, str], EnumShape] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def schemas(self) -> list[str | None]:
        """The schema names that hold at least one table, in a stable order."""
        return sorted({schema for schema, _ in self.tables}, key=lambda name: name or "")


def dialect_family(name: str) -> str:
    """The dialect name that comparison rules key on: MariaDB follows MySQL's rules."""
    return "mysql" if name == "mariadb" else name

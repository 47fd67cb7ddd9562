"""What planning reads: the models' tables in the database's terms and the reflected tables."""

from __future__ import annotations

import copy as copy_module
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Enum, MetaData, Table, inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import SQLAlchemyError

from schemadoctor.load import LoadedModels
from schemadoctor.plan.hazards import guarded, lightweight_table
from schemadoctor.plan.model import TableKey
from schemadoctor.schema import SchemaShape, TableShape, dialect_family

logger = logging.getLogger(__name__)


@dataclass
class PlanOptions:
    """What the user allows the plan to do."""

    allow_destructive: bool = False
    concurrently: bool = False


@dataclass
class PlanContext:
    """The models' tables copied for the target schemas, and the database, for one plan."""

    connection: Connection
    dialect: str
    default_schema: str | None
    db_shape: SchemaShape
    options: PlanOptions
    model_tables: dict[TableKey, Table] = field(default_factory=dict)
    model_enums: dict[TableKey, tuple[str, ...]] = field(default_factory=dict)
    model_domains: dict[TableKey, Any] = field(default_factory=dict)
    created_enums: set[TableKey] = field(default_factory=set)
    _db_metadata: MetaData = field(default_factory=MetaData)
    _db_tables: dict[TableKey, Table | None] = field(default_factory=dict)

    _render_dialect: Dialect | None = None
    _db_domains: set[TableKey] | None = None

    def domain_exists(self, key: TableKey) -> bool:
        """Whether the PostgreSQL domain exists (read once, for every schema)."""
        if self._db_domains is None:
            with guarded(self.connection):
                domains = inspect(self.connection).get_domains(schema="*")  # type: ignore[attr-defined]
            self._db_domains = {(d["schema"], d["name"]) for d in domains}
        return key in self._db_domains

    @property
    def render_dialect(self) -> Dialect:
        """The connection's dialect, but rendering SQL to run without parameters (no %%)."""
        if self._render_dialect is None:
            self._render_dialect = rendering_dialect(self.connection.dialect)
        return self._render_dialect

    def schema_arg(self, schema: str | None) -> str | None:
        """The schema to write in DDL: none for the default schema, as the models mostly do."""
        return None if schema == self.default_schema else schema

    def db_table_shape(self, key: TableKey) -> TableShape | None:
        """The reflected shape of a table, or None when it does not exist."""
        return self.db_shape.tables.get(key)

    def clause(self, key: TableKey, columns: list[str] | tuple[str, ...] = ()) -> Any:
        """A quoted table clause for hazard queries."""
        return lightweight_table(key[1], self.schema_arg(key[0]), columns)

    def db_table(self, key: TableKey) -> Table | None:
        """The table as SQLAlchemy reflects it (types, defaults, named constraints)."""
        if key not in self._db_tables:
            try:
                with guarded(self.connection):
                    self._db_tables[key] = Table(
                        key[1],
                        self._db_metadata,
                        schema=self.schema_arg(key[0]),
                        autoload_with=self.connection,
                    )
            except SQLAlchemyError as error:
                logger.info("Reflecting %s for the plan failed: %s", key, error)
                self._db_tables[key] = None
        return self._db_tables[key]


def rendering_dialect(dialect: Dialect) -> Dialect:
    """A copy of a live dialect (server version and all) whose SQL runs as is, unparameterized.

    Drivers with the ``format`` paramstyles double every % in rendered SQL; named does not.
    """
    clone = copy_module.copy(dialect)
    clone.paramstyle = "named"
    clone.positional = False
    arguments: dict[str, Any] = {}
    if hasattr(clone, "_server_ansiquotes"):
        arguments["server_ansiquotes"] = clone._server_ansiquotes
    clone.identifier_preparer = clone.preparer(clone, **arguments)
    return clone


def copy_model_tables(context: PlanContext, models: LoadedModels, targets: list[str]) -> None:
    """Copy every model table into one MetaData, placed in the schema it is compared in."""
    metadata = MetaData()
    for position, target in enumerate(targets or [context.default_schema or ""]):
        for table in models.tables:
            if table.schema and position:
                continue
            key = (table.schema or target or context.default_schema, table.name)
            if key in context.model_tables:
                continue
            copy = table.to_metadata(metadata, schema=context.schema_arg(key[0]))
            # A primary key made from primary_key=True columns lists the autoincrement column
            # first on MySQL; the copy must keep that, or CREATE TABLE fails there.
            implicit = getattr(table.primary_key, "_implicit_generated", False)
            copy.primary_key._implicit_generated = implicit  # type: ignore[attr-defined]
            context.model_tables[key] = copy
            if dialect_family(context.dialect) == "postgresql":
                # An enum without a schema of its own lives on the search path, not with its
                # table (describe_models reads it the same way).
                home = table.metadata.schema or context.default_schema
                _own_enum_types(context, home, table, copy)


def _own_enum_types(context: PlanContext, home: str | None, model: Table, copy: Table) -> None:
    """PostgreSQL enum types are planned as their own statements, never by CREATE TABLE."""
    for model_column, column in zip(model.columns, copy.columns, strict=True):
        # The model's own type says where the enum lives: copying a table moves its enums.
        model_type = model_column.type
        if isinstance(model_type, ARRAY) and isinstance(model_type.item_type, Enum):
            array: Any = copy_module.copy(column.type)
            array.item_type = _planned_enum(context, home, model_type.item_type)
            column.type = array
        elif isinstance(model_type, Enum):
            column.type = _planned_enum(context, home, model_type)
        elif isinstance(model_type, postgresql.DOMAIN):
            column.type = _planned_domain(context, home, model_type)


def _planned_domain(context: PlanContext, home: str | None, domain: Any) -> Any:
    schema = domain.schema or home
    context.model_domains[(schema, str(domain.name))] = domain
    planned = copy_module.copy(domain)
    planned.create_type = False
    return planned


def _planned_enum(context: PlanContext, home: str | None, enum: Enum) -> Any:
    if not enum.native_enum or not enum.name:
        return enum
    schema = enum.schema or home
    labels = tuple(str(label) for label in enum.enums)
    context.model_enums[(schema, str(enum.name))] = labels
    return postgresql.ENUM(
        *labels, name=str(enum.name), schema=context.schema_arg(schema), create_type=False
    )

"""Reflect the live database into plain shapes, in batches: a few queries per schema."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Sequence

from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from schemadoctor.connect import Database, describe_database_error
from schemadoctor.errors import ConfigurationError, SchemaDoctorError
from schemadoctor.schema import SchemaShape

logger = logging.getLogger(__name__)


def default_schema_of(connection: Connection) -> str | None:
    """The schema that unqualified table names resolve to on this connection."""
    return inspect(connection).default_schema_name


def list_schemas(connection: Connection) -> list[str]:
    """Every schema (database, on MySQL) the connection can see."""
    return list(inspect(connection).get_schema_names())


def resolve_schemas(
    connection: Connection, requested: Sequence[str | None], default_schema: str | None
) -> list[str]:
    """Real schema names for the requested names and globs; unknown names are an error."""
    available = list_schemas(connection)
    resolved: list[str] = []
    for name in requested:
        name = name or default_schema
        if name is None:
            continue
        if any(char in name for char in "*?["):
            matches = sorted(schema for schema in available if fnmatch.fnmatchcase(schema, name))
            if not matches:
                raise ConfigurationError(
                    f"No schema matches {name!r}; the database has {_some(available)}."
                )
            resolved.extend(m for m in matches if m not in resolved)
        elif name in available:
            if name not in resolved:
                resolved.append(name)
        else:
            raise ConfigurationError(
                f"The schema {name!r} does not exist in the database (it has {_some(available)}); "
                "check --schema or the models' Table.schema."
            )
    return resolved


def _some(names: list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:8])
    return shown + (", ..." if len(names) > 8 else "") if names else "none"


def reflect_connection(
    connection: Connection,
    schemas: Sequence[str],
    default_schema: str | None,
    database: Database | None = None,
) -> SchemaShape:
    """Reflect the given schemas on an open connection with the dialect's batched reader.

    With ``database``, a reader may open one more connection to it and read part of the catalog
    there at the same time (MySQL and MariaDB, whose catalog queries each open every table).
    """
    dialect = connection.dialect.name
    if dialect == "sqlite":
        from schemadoctor.reflect import sqlite as reader
    elif dialect == "postgresql":
        from schemadoctor.reflect import postgresql as reader  # type: ignore[no-redef]
    elif dialect in ("mysql", "mariadb"):
        from schemadoctor.reflect import mysql

        sibling = database.connect if database is not None else None
        return mysql.reflect_schemas(connection, list(schemas), default_schema, sibling)
    else:
        from schemadoctor.reflect import inspector as reader  # type: ignore[no-redef]
    return reader.reflect_schemas(connection, list(schemas), default_schema)


def reflect_database(database: Database, schemas: Sequence[str | None] = (None,)) -> SchemaShape:
    """Reflect the requested schemas (None: the default schema) of a database."""
    try:
        with database.connect() as connection:
            default_schema = default_schema_of(connection)
            resolved = resolve_schemas(connection, schemas or [None], default_schema)
            logger.info("Reflecting schemas %s of %s", resolved, database.masked_url)
            return reflect_connection(connection, resolved, default_schema, database)
    except SchemaDoctorError:
        raise
    except SQLAlchemyError as error:
        raise describe_database_error(error, database.url, "Reading the database schema") from error

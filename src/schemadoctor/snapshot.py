"""Snapshots: a reflected database schema saved as versioned JSON, to check without a database.

A snapshot holds the shapes that reflection produced (tables, columns, keys, indexes, enum
types) and what is needed to describe the models in the database's terms (the dialect and
the server version). It holds no data and no credentials.
"""

from __future__ import annotations

import fnmatch
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import SQLAlchemyError

from schemadoctor import __version__
from schemadoctor.connect import Database, describe_database_error
from schemadoctor.errors import ConfigurationError, SchemaDoctorError
from schemadoctor.reflect import default_schema_of, reflect_connection, resolve_schemas
from schemadoctor.schema import EnumShape, SchemaShape, TableShape

logger = logging.getLogger(__name__)

SNAPSHOT_FORMAT = "schemadoctor-snapshot"
SNAPSHOT_VERSION = 1


@dataclass
class Snapshot:
    """A database's reflected schema, and the facts about its server that comparing needs."""

    shape: SchemaShape
    # The schemas that were taken; an unlisted schema was not read, so nothing is known of it.
    schemas: list[str]
    dialect_name: str
    server_version: tuple[int, ...] = ()
    is_mariadb: bool = False
    source: str = ""
    path: str | None = field(default=None, compare=False)
    # What the live dialect learnt from the server on connecting (capabilities, SQL mode),
    # so that the models' types are spelled as the live check spells them (UUID on MariaDB).
    dialect_settings: dict[str, Any] = field(default_factory=dict)

    def dialect(self) -> Dialect:
        """A SQLAlchemy dialect configured like the one that was connected to the database."""
        dialect = dialect_for(self.dialect_name, self.server_version, self.is_mariadb)
        for key, value in self.dialect_settings.items():
            setattr(dialect, key, tuple(value) if isinstance(value, list) else value)
        return dialect

    @property
    def label(self) -> str:
        """How reports name the snapshot: its file, else the database it was taken from."""
        return f"snapshot {self.path}" if self.path else f"snapshot of {self.source}"


def dialect_for(name: str, server_version: Sequence[int], is_mariadb: bool) -> Dialect:
    """A dialect instance for ``name`` without connecting, set to the given server version."""
    try:
        dialect_class = make_url(f"{name}://").get_dialect()
    except SQLAlchemyError as error:
        raise ConfigurationError(
            f"The snapshot's dialect {name!r} is unknown to SQLAlchemy; take the snapshot again."
        ) from error
    dialect = dialect_class()
    version = tuple(int(part) for part in server_version)
    if version:
        dialect.server_version_info = version
    set_mariadb = getattr(dialect, "_set_mariadb", None)
    if is_mariadb and set_mariadb is not None:
        # MariaDB spells some types (UUID) differently from MySQL: describe the models as such.
        set_mariadb(True, version)
    return dialect


_DRIVER_SETTINGS = {
    "paramstyle",
    "positional",
    "compiler_linting",
    "label_length",
    "skip_autocommit_rollback",
    "default_isolation_level",
    "_on_connect_isolation_level",
    "_user_defined_max_identifier_length",
}


def dialect_settings(dialect: Dialect) -> dict[str, Any]:
    """The plain values a connected dialect holds about its server, for ``Snapshot.dialect``."""
    settings: dict[str, Any] = {}
    for key, value in sorted(vars(dialect).items()):
        if key in _DRIVER_SETTINGS or key.startswith("_json"):
            continue
        if type(value) in (bool, int, float, str):
            settings[key] = value
        elif type(value) is tuple and all(type(part) is int for part in value):
            settings[key] = list(value)
    return settings


def take_snapshot(
    database: Database, schemas: Sequence[str] = (), extra_schemas: Sequence[str] = ()
) -> Snapshot:
    """Reflect the requested schemas (default: the default schema) and any extra ones."""
    try:
        with database.connect() as connection:
            default_schema = default_schema_of(connection)
            targets = resolve_schemas(connection, list(schemas) or [None], default_schema)
            available = set(resolve_schemas(connection, ["*"], default_schema))
            targets += [s for s in extra_schemas if s in available and s not in targets]
            logger.info("Taking a snapshot of schemas %s of %s", targets, database.masked_url)
            shape = reflect_connection(connection, targets, default_schema)
            dialect = connection.dialect
    except SchemaDoctorError:
        raise
    except SQLAlchemyError as error:
        raise describe_database_error(error, database.url, "Taking the snapshot") from error

    return Snapshot(
        shape=shape,
        schemas=targets,
        dialect_name=dialect.name,
        server_version=tuple(
            int(part) for part in dialect.server_version_info or () if str(part).isdigit()
        ),
        is_mariadb=bool(getattr(dialect, "is_mariadb", False)),
        source=_source_without_credentials(database),
        dialect_settings=dialect_settings(dialect),
    )


def _source_without_credentials(database: Database) -> str:
    # Neither user nor password: a committed snapshot must not tell how to log in.
    url = database.url
    if url.get_backend_name() == "sqlite" and url.database:
        return f"sqlite:///{Path(url.database).name}"
    bare = URL.create(url.drivername, host=url.host, port=url.port, database=url.database)
    return bare.render_as_string(hide_password=True)


def resolve_snapshot_schemas(snapshot: Snapshot, requested: Sequence[str]) -> list[str]:
    """The snapshot's schemas for requested names and globs (default: its default schema)."""
    if not requested:
        return [snapshot.shape.default_schema] if snapshot.shape.default_schema else []
    resolved: list[str] = []
    for name in requested:
        matches = [schema for schema in snapshot.schemas if fnmatch.fnmatchcase(schema, name)]
        if not matches:
            raise ConfigurationError(
                f"The {snapshot.label} holds no schema {name!r}; it holds "
                f"{', '.join(map(repr, snapshot.schemas)) or 'none'}. Take it again with "
                f"--schema {name}."
            )
        resolved.extend(match for match in matches if match not in resolved)
    return resolved


def snapshot_data(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot as JSON-ready data, in a stable order so that a committed file diffs well."""
    shape = snapshot.shape
    return {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "schemadoctor": __version__,
        "database": {
            "dialect": snapshot.dialect_name,
            "server_version": list(snapshot.server_version),
            "is_mariadb": snapshot.is_mariadb,
            "default_schema": shape.default_schema,
            "source": snapshot.source,
            "settings": snapshot.dialect_settings,
        },
        "schemas": list(snapshot.schemas),
        "tables": [_table_data(shape.tables[key]) for key in sorted(shape.tables, key=_sort_key)],
        "enums": [asdict(shape.enums[key]) for key in sorted(shape.enums, key=_sort_key)],
        "warnings": list(shape.warnings),
    }


def _sort_key(key: tuple[str | None, str]) -> tuple[str, str]:
    return (key[0] or "", key[1])


def _table_data(table: TableShape) -> dict[str, Any]:
    return _without_locations(asdict(table))


def _without_locations(value: Any) -> Any:
    # Source locations belong to the models side; a reflected shape has none to save.
    if isinstance(value, dict):
        return {k: _without_locations(v) for k, v in value.items() if k != "location"}
    if isinstance(value, list):
        return [_without_locations(item) for item in value]
    return value


def render_snapshot(snapshot: Snapshot) -> str:
    """The snapshot as indented JSON text."""
    return json.dumps(snapshot_data(snapshot), indent=2, ensure_ascii=False) + "\n"


def save_snapshot(snapshot: Snapshot, path: str | Path) -> None:
    """Write the snapshot to ``path``."""
    Path(path).write_text(render_snapshot(snapshot), encoding="utf-8")


def load_snapshot(path: str | Path) -> Snapshot:
    """Read a snapshot file; a file that is not one is a configuration error."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigurationError(
            f"The snapshot {str(path)!r} does not exist; take one with "
            "schemadoctor snapshot --db URL -o FILE."
        ) from error
    except (OSError, ValueError) as error:
        raise ConfigurationError(
            f"The snapshot {str(path)!r} cannot be read as JSON ({error}); take it again."
        ) from error
    return snapshot_from_data(data, str(path))


def snapshot_from_data(data: Any, path: str | None = None) -> Snapshot:
    """A Snapshot from the data ``snapshot_data`` produced."""
    where = repr(path) if path else "given"
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise ConfigurationError(
            f"The file {where} is not a schemadoctor snapshot; take one with schemadoctor snapshot."
        )
    if data.get("version") != SNAPSHOT_VERSION:
        raise ConfigurationError(
            f"The snapshot {where} has format version {data.get('version')!r}, and this "
            f"schemadoctor reads version {SNAPSHOT_VERSION}; take the snapshot again."
        )
    try:
        return _snapshot(data, path)
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigurationError(
            f"The snapshot {where} is damaged ({type(error).__name__}: {error}); take it again."
        ) from error


def _snapshot(data: dict[str, Any], path: str | None) -> Snapshot:
    database = data["database"]
    shape = SchemaShape(
        dialect=_family(database["dialect"]),
        default_schema=database["default_schema"],
        warnings=list(data.get("warnings", [])),
    )
    for table_data in data["tables"]:
        table = _table(table_data)
        shape.tables[(table.schema, table.name)] = table
    for enum_data in data.get("enums", []):
        enum = EnumShape(enum_data["name"], enum_data["schema"], tuple(enum_data["labels"]))
        shape.enums[(enum.schema, enum.name)] = enum
    return Snapshot(
        shape=shape,
        schemas=list(data["schemas"]),
        dialect_name=database["dialect"],
        server_version=tuple(database.get("server_version", ())),
        is_mariadb=bool(database.get("is_mariadb", False)),
        source=database.get("source", ""),
        path=path,
        dialect_settings=dict(database.get("settings", {})),
    )


def _family(name: str) -> str:
    return "mysql" if name == "mariadb" else name


def _table(data: dict[str, Any]) -> TableShape:
    # Built from the dataclass fields, so a field added to the shapes is saved and read back.
    table = _build(TableShape, data)
    assert isinstance(table, TableShape)
    return table


def _build(cls: type, data: dict[str, Any]) -> Any:
    hints = get_type_hints(cls)
    values = {f.name: _convert(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data}
    return cls(**values)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        options = [arg for arg in get_args(hint) if arg is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if origin is tuple:
        return tuple(_convert(get_args(hint)[0], item) for item in value)
    if isinstance(hint, type) and is_dataclass(hint):
        return _build(hint, value)
    return value

"""Alembic awareness: where the database stands in its migration history, read only.

Alembic is an optional dependency: it is imported only when a configuration is found.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from schemadoctor.errors import ConfigurationError

logger = logging.getLogger(__name__)

DEFAULT_VERSION_TABLE = "alembic_version"


class MigrationStatus(StrEnum):
    """Where the database stands compared with the migration scripts."""

    AT_HEAD = "at_head"
    BEHIND = "behind"
    UNKNOWN_REVISION = "unknown_revision"
    SEVERAL_HEADS = "several_heads"
    NEVER_STAMPED = "never_stamped"
    NO_ALEMBIC = "no_alembic"


@dataclass(frozen=True)
class Revision:
    """One migration script: its id, its message and its file."""

    revision: str
    message: str
    path: str

    def to_dict(self) -> dict[str, str]:
        """The revision as JSON-ready data."""
        return {"revision": self.revision, "message": self.message, "path": self.path}


@dataclass(frozen=True)
class MigrationState:
    """The database's revisions, the scripts' heads and what is pending, in one sentence."""

    status: MigrationStatus
    message: str
    config_path: str | None = None
    db_revisions: tuple[str, ...] = ()
    heads: tuple[str, ...] = ()
    pending: tuple[Revision, ...] = ()

    @property
    def upgrade_command(self) -> str:
        """The command that runs the pending migrations."""
        if len(self.heads) > 1:
            return "alembic upgrade heads"
        return "alembic upgrade head"

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON-ready data (the report's ``migrations`` object)."""
        return {
            "status": self.status.value,
            "message": self.message,
            "config": self.config_path,
            "database_revisions": list(self.db_revisions),
            "heads": list(self.heads),
            "pending": [revision.to_dict() for revision in self.pending],
        }


@dataclass
class MigrationScripts:
    """An Alembic configuration and its script directory, with every revision oldest first."""

    config_path: str
    directory: Any
    config: Any
    revisions: list[Any] = field(default_factory=list)
    version_table: str = DEFAULT_VERSION_TABLE
    version_table_schema: str | None = None

    @property
    def heads(self) -> tuple[str, ...]:
        """The head revisions, sorted."""
        return tuple(sorted(self.directory.get_heads()))

    def describe(self, script: Any) -> Revision:
        """A script as a Revision, its path relative to the current directory when inside it."""
        return Revision(
            revision=str(script.revision),
            message=(script.doc or "").strip().splitlines()[0] if script.doc else "",
            path=display_path(script.path),
        )


def display_path(path: str) -> str:
    """The path relative to the current directory when it lies inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def locate_alembic_config(
    option: str | None, cwd: Path | None = None, also_in: Path | None = None
) -> Path | None:
    """The Alembic configuration to use: the option, else alembic.ini or a [tool.alembic]
    in the current directory, else in ``also_in`` (the schemadoctor configuration's folder)."""
    if option:
        path = Path(option)
        if not path.is_file():
            raise ConfigurationError(
                f"The Alembic configuration {option!r} does not exist; check --alembic-config "
                "or alembic-config in the configuration."
            )
        return path
    for folder in (cwd or Path.cwd(), also_in):
        if folder is None:
            continue
        if (folder / "alembic.ini").is_file():
            return folder / "alembic.ini"
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.alembic]" in pyproject.read_text(encoding="utf-8"):
            return pyproject
    return None


def load_scripts(config_path: Path) -> MigrationScripts:
    """Read the Alembic configuration and its script directory (nothing is run yet)."""
    try:
        from alembic.config import Config
        from alembic.script import ScriptDirectory
        from alembic.util import CommandError
    except ModuleNotFoundError as error:
        raise ConfigurationError(
            f"{config_path} is an Alembic configuration but Alembic is not installed; "
            "install it (pip install 'schemadoctor[alembic]')."
        ) from error

    if config_path.suffix == ".toml":
        config = Config(toml_file=str(config_path))
    else:
        config = Config(str(config_path))
    _anchor_script_location(config, config_path)
    try:
        directory = ScriptDirectory.from_config(config)
        revisions = list(reversed(list(directory.walk_revisions())))
    except (CommandError, OSError) as error:
        raise ConfigurationError(
            f"The Alembic scripts named by {config_path} cannot be read: {error}; "
            "check script_location."
        ) from error
    except Exception as error:  # a revision file that fails to import re-raises as one sentence
        raise ConfigurationError(
            f"Loading the Alembic revisions named by {config_path} failed with "
            f"{type(error).__name__}: {error}; fix the revision file."
        ) from error
    return MigrationScripts(
        config_path=display_path(str(config_path)),
        directory=directory,
        config=config,
        revisions=revisions,
        version_table=_option(config, "version_table") or DEFAULT_VERSION_TABLE,
        version_table_schema=_option(config, "version_table_schema"),
    )


def _option(config: Any, name: str) -> str | None:
    # Limitation: env.py may pass version_table to context.configure(); that is not read —
    # set version_table / version_table_schema in the [alembic] section to match it.
    value = config.get_alembic_option(name)
    return str(value) if value else None


def _anchor_script_location(config: Any, config_path: Path) -> None:
    """A relative script_location is relative to the current directory for Alembic; when it
    does not exist there, resolve it against the configuration's folder instead."""
    location = config.get_alembic_option("script_location")
    if not location or ":" in location or os.path.isabs(location) or os.path.isdir(location):
        return
    anchored = config_path.resolve().parent / location
    if anchored.is_dir():
        config.set_main_option("script_location", str(anchored))


def read_db_revisions(
    connection: Connection, scripts: MigrationScripts, schemas: list[str | None]
) -> tuple[str, ...] | None:
    """The revisions in the version table, or None when there is no version table."""
    candidates = [scripts.version_table_schema] if scripts.version_table_schema else schemas
    inspector = inspect(connection)
    for schema in candidates:
        if not inspector.has_table(scripts.version_table, schema=schema):
            continue
        table = Table(
            scripts.version_table,
            MetaData(),
            Column("version_num", String(255)),
            schema=schema,
        )
        try:
            rows = connection.execute(select(table.c.version_num)).scalars().all()
        except SQLAlchemyError as error:
            raise ConfigurationError(
                f"Reading the version table {scripts.version_table!r} failed: "
                f"{str(getattr(error, 'orig', error)).strip().splitlines()[0]}; check that "
                "the role may read it."
            ) from error
        return tuple(sorted(str(row) for row in rows))
    return None


def ancestors(scripts: MigrationScripts, revisions: tuple[str, ...]) -> set[str]:
    """The revisions given and every revision they descend from."""
    by_id = {script.revision: script for script in scripts.revisions}
    seen: set[str] = set()
    stack = list(revisions)
    while stack:
        revision = stack.pop()
        if revision in seen or revision not in by_id:
            continue
        seen.add(revision)
        script = by_id[revision]
        stack.extend(_as_tuple(script.down_revision))
        stack.extend(_as_tuple(getattr(script, "dependencies", None)))
    return seen


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def read_migration_state(
    connection: Connection, scripts: MigrationScripts, schemas: list[str | None]
) -> MigrationState:
    """The database's place in the migration history; reads the version table only."""
    heads = scripts.heads
    db_revisions = read_db_revisions(connection, scripts, schemas)
    known = {script.revision for script in scripts.revisions}
    config_path = scripts.config_path

    if not db_revisions:
        return MigrationState(
            MigrationStatus.NEVER_STAMPED,
            _never_stamped_message(db_revisions, heads),
            config_path=config_path,
            heads=heads,
        )
    unknown = [revision for revision in db_revisions if revision not in known]
    if unknown:
        return MigrationState(
            MigrationStatus.UNKNOWN_REVISION,
            f"The database is at revision {', '.join(unknown)}, which the migration scripts "
            f"do not know (their head is {', '.join(heads)}): the database was migrated by "
            "newer code than this, as after a rollback of the code.",
            config_path=config_path,
            db_revisions=db_revisions,
            heads=heads,
        )

    applied = ancestors(scripts, db_revisions)
    pending = tuple(
        scripts.describe(script) for script in scripts.revisions if script.revision not in applied
    )
    return MigrationState(
        _status(heads, pending),
        _position_message(db_revisions, heads, pending),
        config_path=config_path,
        db_revisions=db_revisions,
        heads=heads,
        pending=pending,
    )


def _status(heads: tuple[str, ...], pending: tuple[Revision, ...]) -> MigrationStatus:
    if len(heads) > 1:
        return MigrationStatus.SEVERAL_HEADS
    return MigrationStatus.BEHIND if pending else MigrationStatus.AT_HEAD


def _never_stamped_message(db_revisions: tuple[str, ...] | None, heads: tuple[str, ...]) -> str:
    where = "has no version table" if db_revisions is None else "has an empty version table"
    return (
        f"The database {where}: Alembic never stamped it (head is {', '.join(heads) or 'none'}); "
        "if it matches the models, record that with `alembic stamp head`."
    )


def _position_message(
    db_revisions: tuple[str, ...], heads: tuple[str, ...], pending: tuple[Revision, ...]
) -> str:
    at = ", ".join(db_revisions)
    if len(heads) > 1:
        return (
            f"The migration scripts have several heads ({', '.join(heads)}); the database is at "
            f"{at} with {len(pending)} pending. Merge them with `alembic merge heads`, or run "
            "`alembic upgrade heads`."
        )
    if not pending:
        return f"The database is at the head revision {at}."
    count = f"{len(pending)} pending revision{'s' if len(pending) != 1 else ''}"
    return (
        f"The database is at {at}, behind head {heads[0]} by {count}: run `alembic upgrade head`."
    )


def no_alembic_state() -> MigrationState:
    """The state when the project has no Alembic configuration."""
    return MigrationState(
        MigrationStatus.NO_ALEMBIC,
        "No Alembic configuration was found (no --alembic-config, no alembic.ini here), so "
        "the causes of the findings were not diagnosed.",
    )

"""Replay Alembic migrations in memory: a recording stand-in for ``alembic.op``.

Each operation a migration's ``upgrade()`` calls changes a SchemaShape instead of the
database, so that the effect of pending migrations can be compared with the models before
they run. ``op.get_bind()`` hands out the live connection, which stays inside its read-only
transaction; a guard also refuses statements that would end or widen that transaction.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import ClauseElement, TextClause, conv

from schemadoctor.describe import describe_table
from schemadoctor.errors import SchemaDoctorError
from schemadoctor.migrations import MigrationScripts, Revision
from schemadoctor.schema import (
    ColumnShape,
    EnumShape,
    ForeignKeyShape,
    IndexShape,
    SchemaShape,
    TableShape,
    UniqueShape,
)

logger = logging.getLogger(__name__)

_DATA_STATEMENT = re.compile(r"^\s*(INSERT|UPDATE|DELETE|SELECT|MERGE|COPY)\b", re.IGNORECASE)
_TRANSACTION_STATEMENT = re.compile(
    r"^\s*(COMMIT|END|BEGIN|START\s+TRANSACTION|SET\b|RESET\b|ROLLBACK(?!\s+TO)|ABORT)",
    re.IGNORECASE,
)
_DDL_STATEMENT = re.compile(
    r"^\s*(CREATE|ALTER|DROP|RENAME|TRUNCATE|GRANT|REVOKE|LOCK|UNLOCK|ANALYZE|OPTIMIZE)\b",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


class ReplayError(Exception):
    """A migration did something that cannot be replayed in memory."""


class UnsafeMigrationError(SchemaDoctorError):
    """A migration got around the guards of the read-only transaction."""


@dataclass(frozen=True)
class Touch:
    """One object that a revision's operation changed."""

    revision: Revision
    schema: str | None
    table: str
    subject: str | None


@dataclass(frozen=True)
class OpaqueStatement:
    """Raw SQL that a revision runs and whose effect on the schema cannot be read."""

    revision: Revision
    sql: str

    def mentions(self, table: str) -> bool:
        """True when the SQL names the table (or names no table we can tell)."""
        return re.search(rf"\b{re.escape(table)}\b", self.sql, re.IGNORECASE) is not None


@dataclass
class Replay:
    """The outcome of replaying revisions: the shape, what each revision touched, failures."""

    shape: SchemaShape
    touches: list[Touch] = field(default_factory=list)
    opaque: list[OpaqueStatement] = field(default_factory=list)
    failed_at: Revision | None = None
    failure: str | None = None
    replayed: list[Revision] = field(default_factory=list)


def copy_shape(shape: SchemaShape, empty: bool = False) -> SchemaShape:
    """A shape whose tables can be replaced without changing ``shape``."""
    return SchemaShape(
        dialect=shape.dialect,
        default_schema=shape.default_schema,
        tables={} if empty else dict(shape.tables),
        enums={} if empty else dict(shape.enums),
    )


class OperationRecorder:
    """Stands in for alembic's ``op``: every call changes the in-memory shape."""

    def __init__(
        self,
        replay: Replay,
        dialect: Dialect,
        connection: Connection | None,
        scripts: MigrationScripts,
    ) -> None:
        self.replay = replay
        self.shape = replay.shape
        self.dialect = dialect
        self.connection = connection
        self.scripts = scripts
        self.revision: Revision | None = None
        self.warnings: list[str] = []

    # -- bookkeeping ------------------------------------------------------------------------

    def _key(self, schema: str | None, table: str) -> tuple[str | None, str]:
        return (schema or self.shape.default_schema, table)

    def _table(self, schema: str | None, table: str) -> TableShape:
        found = self.shape.tables.get(self._key(schema, table))
        if found is None:
            raise ReplayError(f"it changes table {table!r}, which does not exist at that point")
        return found

    def _store(self, table: TableShape, subject: str | None) -> None:
        self.shape.tables[(table.schema, table.name)] = table
        self._touch(table.schema, table.name, subject)

    def _touch(self, schema: str | None, table: str, subject: str | None) -> None:
        assert self.revision is not None
        self.replay.touches.append(Touch(self.revision, schema, table, subject))

    def _describe(self, name: str, schema: str | None, items: Sequence[Any], **kw: Any) -> Any:
        copies = [_copy(item) for item in items]
        table = sa.Table(name, sa.MetaData(), *copies, schema=schema, **kw)
        return describe_table(table, self.dialect, self.shape.default_schema, self.warnings), table

    def _enums_of(self, table: sa.Table) -> None:
        if self.dialect.name != "postgresql":
            return
        for column in table.columns:
            column_type = column.type
            if isinstance(column_type, sa.Enum) and column_type.native_enum and column_type.name:
                schema = column_type.schema or table.schema or self.shape.default_schema
                labels = tuple(str(label) for label in column_type.enums)
                name = str(column_type.name)
                self.shape.enums[(schema, name)] = EnumShape(name, schema, labels)

    # -- tables -----------------------------------------------------------------------------

    def create_table(self, table_name: str, *items: Any, **kw: Any) -> sa.Table:
        kw.pop("if_not_exists", None)
        schema = kw.pop("schema", None)
        described, table = self._describe(table_name, schema, items, **kw)
        self._enums_of(table)
        self._store(described, None)
        return table

    def drop_table(self, table_name: str, *, schema: str | None = None, **_: Any) -> None:
        table = self._table(schema, table_name)
        del self.shape.tables[(table.schema, table.name)]
        self._touch(table.schema, table.name, None)

    def rename_table(self, old_table_name: str, new_table_name: str, **kw: Any) -> None:
        table = self._table(kw.get("schema"), old_table_name)
        del self.shape.tables[(table.schema, table.name)]
        self._touch(table.schema, table.name, None)
        self._store(replace(table, name=new_table_name), None)
        # The database points the foreign keys that referred to the table at its new name.
        for key, other in list(self.shape.tables.items()):
            keys = tuple(
                replace(fk, referred_table=new_table_name)
                if (fk.referred_schema, fk.referred_table) == (table.schema, old_table_name)
                else fk
                for fk in other.foreign_keys
            )
            if keys != other.foreign_keys:
                self.shape.tables[key] = replace(other, foreign_keys=keys)

    # -- columns ----------------------------------------------------------------------------

    def add_column(self, table_name: str, column: sa.Column[Any], **kw: Any) -> None:
        table = self._table(kw.get("schema"), table_name)
        described, built = self._describe(table_name, kw.get("schema"), [column])
        self._enums_of(built)
        self._store(
            replace(
                table,
                columns=(*table.columns, *described.columns),
                uniques=(*table.uniques, *described.uniques),
                foreign_keys=(*table.foreign_keys, *described.foreign_keys),
            ),
            column.name,
        )

    def drop_column(self, table_name: str, column_name: str, **kw: Any) -> None:
        table = self._table(kw.get("schema"), table_name)
        if table.column(column_name) is None:
            raise ReplayError(f"it drops column {table_name}.{column_name}, which is not there")
        self._store(_without_column(table, column_name), column_name)

    def alter_column(self, table_name: str, column_name: str, **kw: Any) -> None:
        table = self._table(kw.get("schema"), table_name)
        column = table.column(column_name)
        if column is None:
            raise ReplayError(f"it alters column {table_name}.{column_name}, which is not there")
        changed = self._altered(table_name, column, kw)
        columns = tuple(changed if c.name == column_name else c for c in table.columns)
        altered = replace(table, columns=columns)
        if changed.name != column_name:
            altered = _rename_column(altered, column_name, changed.name)
        self._store(altered, column_name)
        if changed.name != column_name:
            self._touch(table.schema, table.name, changed.name)

    def _altered(self, table_name: str, column: ColumnShape, kw: dict[str, Any]) -> ColumnShape:
        changes: dict[str, Any] = {}
        if kw.get("nullable") is not None:
            changes["nullable"] = bool(kw["nullable"])
        if kw.get("new_column_name"):
            changes["name"] = kw["new_column_name"]
        server_default = kw.get("server_default", False)
        if server_default is not False:
            if server_default is None:
                changes["default"] = None
            else:
                probe = sa.Column("probe", sa.Integer(), server_default=server_default)
                described, _ = self._describe(table_name, None, [probe])
                changes["default"] = described.columns[0].default
        if kw.get("type_") is not None:
            probe = sa.Column("probe", kw["type_"])
            described, built = self._describe(table_name, None, [probe])
            self._enums_of(built)
            new = described.columns[0]
            changes.update(
                type=new.type,
                enum_name=new.enum_name,
                enum_schema=new.enum_schema,
                enum_labels=new.enum_labels,
            )
        return replace(column, **changes)

    # -- indexes and constraints ------------------------------------------------------------

    def create_index(
        self, index_name: str | None, table_name: str, columns: Sequence[Any], **kw: Any
    ) -> None:
        table = self._table(kw.get("schema"), table_name)
        names: list[str | None] = []
        expressions: list[str] = []
        for element in columns:
            if isinstance(element, str) and _IDENTIFIER.match(element):
                names.append(element)
            else:
                names.append(None)
                expressions.append(self._sql(element))
        where = kw.get(f"{self.dialect.name}_where")
        index = IndexShape(
            name=_name(index_name),
            columns=tuple(names),
            unique=bool(kw.get("unique")),
            expressions=tuple(expressions),
            where=self._sql(where) if where is not None else None,
        )
        self._store(replace(table, indexes=(*table.indexes, index)), _name(index_name))

    def drop_index(self, index_name: str, table_name: str | None = None, **kw: Any) -> None:
        name = _name(index_name)
        for key, table in list(self.shape.tables.items()):
            if table_name is not None and key != self._key(kw.get("schema"), table_name):
                continue
            if any(index.name == name for index in table.indexes):
                indexes = tuple(index for index in table.indexes if index.name != name)
                self._store(replace(table, indexes=indexes), name)
                return
        raise ReplayError(f"it drops index {name!r}, which does not exist at that point")

    def create_unique_constraint(
        self, constraint_name: str | None, table_name: str, columns: Sequence[str], **kw: Any
    ) -> None:
        table = self._table(kw.get("schema"), table_name)
        unique = UniqueShape(_name(constraint_name), tuple(columns))
        self._store(replace(table, uniques=(*table.uniques, unique)), _name(constraint_name))

    def create_primary_key(
        self, constraint_name: str | None, table_name: str, columns: Sequence[str], **kw: Any
    ) -> None:
        table = self._table(kw.get("schema"), table_name)
        self._store(replace(table, primary_key=tuple(columns)), _name(constraint_name))

    def create_foreign_key(
        self,
        constraint_name: str | None,
        source_table: str,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        **kw: Any,
    ) -> None:
        table = self._table(kw.get("source_schema"), source_table)
        foreign_key = ForeignKeyShape(
            name=_name(constraint_name),
            columns=tuple(local_cols),
            referred_schema=kw.get("referent_schema") or self.shape.default_schema,
            referred_table=referent_table,
            referred_columns=tuple(remote_cols),
            ondelete=kw["ondelete"].upper() if kw.get("ondelete") else None,
            onupdate=kw["onupdate"].upper() if kw.get("onupdate") else None,
        )
        self._store(
            replace(table, foreign_keys=(*table.foreign_keys, foreign_key)),
            _name(constraint_name),
        )

    def drop_constraint(
        self, constraint_name: str, table_name: str, type_: str | None = None, **kw: Any
    ) -> None:
        table = self._table(kw.get("schema"), table_name)
        name = _name(constraint_name)
        changed = replace(
            table,
            uniques=tuple(u for u in table.uniques if u.name != name),
            foreign_keys=tuple(f for f in table.foreign_keys if f.name != name),
            # MySQL keeps a UNIQUE constraint as a unique index of the same name.
            indexes=tuple(i for i in table.indexes if not (i.unique and i.name == name)),
            primary_key=() if type_ == "primary" else table.primary_key,
        )
        self._store(changed, name)

    def create_check_constraint(self, *_: Any, **__: Any) -> None:
        """CHECK constraints are not compared, so they change nothing here."""

    def create_exclude_constraint(self, *_: Any, **__: Any) -> None:
        """EXCLUDE constraints are not compared, so they change nothing here."""

    def create_table_comment(self, *_: Any, **__: Any) -> None:
        """Comments are not compared."""

    def drop_table_comment(self, *_: Any, **__: Any) -> None:
        """Comments are not compared."""

    def bulk_insert(self, *_: Any, **__: Any) -> None:
        """Rows change no schema."""

    # -- raw SQL, context and helpers -------------------------------------------------------

    def execute(self, sqltext: Any, *_: Any, **__: Any) -> None:
        if isinstance(sqltext, sa.sql.dml.UpdateBase | sa.sql.Select):
            return
        sql = self._sql(sqltext)
        if _DATA_STATEMENT.match(sql):
            return
        assert self.revision is not None
        self.replay.opaque.append(OpaqueStatement(self.revision, " ".join(sql.split())))

    def _sql(self, element: Any) -> str:
        if isinstance(element, str):
            return element
        if isinstance(element, TextClause):
            return element.text
        if isinstance(element, ClauseElement):
            compiled = element.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True})
            return str(compiled)
        return str(element)

    def get_bind(self) -> Connection:
        if self.connection is None:
            raise ReplayError("it reads the database through op.get_bind(), which is not open")
        return self.connection

    def get_context(self) -> Any:
        return SimpleNamespace(
            dialect=self.dialect,
            bind=self.connection,
            connection=self.connection,
            as_sql=False,
            opts={},
            script=self.scripts.directory,
            config=self.scripts.config,
        )

    def f(self, name: str) -> conv:
        return conv(name)

    def inline_literal(self, value: Any, type_: Any = None) -> Any:
        return sa.literal(value, type_)

    @contextlib.contextmanager
    def batch_alter_table(
        self, table_name: str, schema: str | None = None, **_: Any
    ) -> Iterator[BatchRecorder]:
        yield BatchRecorder(self, table_name, schema)

    def __getattr__(self, name: str) -> Any:
        raise ReplayError(f"it calls op.{name}, which schemadoctor cannot replay")


class BatchRecorder:
    """The ``batch_op`` of ``with op.batch_alter_table(...)``: the same changes, one table."""

    def __init__(self, recorder: OperationRecorder, table: str, schema: str | None) -> None:
        self.recorder = recorder
        self.table = table
        self.schema = schema

    def add_column(self, column: sa.Column[Any], **_: Any) -> None:
        self.recorder.add_column(self.table, column, schema=self.schema)

    def drop_column(self, column_name: str, **_: Any) -> None:
        self.recorder.drop_column(self.table, column_name, schema=self.schema)

    def alter_column(self, column_name: str, **kw: Any) -> None:
        self.recorder.alter_column(self.table, column_name, schema=self.schema, **kw)

    def create_index(self, index_name: str | None, columns: Sequence[Any], **kw: Any) -> None:
        self.recorder.create_index(index_name, self.table, columns, schema=self.schema, **kw)

    def drop_index(self, index_name: str, **_: Any) -> None:
        self.recorder.drop_index(index_name, self.table, schema=self.schema)

    def create_unique_constraint(
        self, constraint_name: str | None, columns: Sequence[str], **_: Any
    ) -> None:
        self.recorder.create_unique_constraint(
            constraint_name, self.table, columns, schema=self.schema
        )

    def create_primary_key(
        self, constraint_name: str | None, columns: Sequence[str], **_: Any
    ) -> None:
        self.recorder.create_primary_key(constraint_name, self.table, columns, schema=self.schema)

    def create_foreign_key(
        self,
        constraint_name: str | None,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        **kw: Any,
    ) -> None:
        kw.setdefault("source_schema", self.schema)
        self.recorder.create_foreign_key(
            constraint_name, self.table, referent_table, local_cols, remote_cols, **kw
        )

    def drop_constraint(self, constraint_name: str, type_: str | None = None, **_: Any) -> None:
        self.recorder.drop_constraint(constraint_name, self.table, type_, schema=self.schema)

    def create_check_constraint(self, *_: Any, **__: Any) -> None:
        """CHECK constraints are not compared."""

    def __getattr__(self, name: str) -> Any:
        raise ReplayError(f"it calls batch_op.{name}, which schemadoctor cannot replay")


class _ContextStandIn:
    """Stands in for ``alembic.context`` for revisions that ask it about the run."""

    def __init__(self, recorder: OperationRecorder) -> None:
        self.recorder = recorder
        self.config = recorder.scripts.config

    def is_offline_mode(self) -> bool:
        return False

    def get_x_argument(self, as_dictionary: bool = False) -> Any:
        return {} if as_dictionary else []

    def get_bind(self) -> Connection:
        return self.recorder.get_bind()

    def get_context(self) -> Any:
        return self.recorder.get_context()

    def __getattr__(self, name: str) -> Any:
        raise ReplayError(f"it calls context.{name}, which schemadoctor cannot replay")


def _copy(item: Any) -> Any:
    # Attaching the migration's own object to a scratch table would change it for Alembic.
    copy = getattr(item, "_copy", None)
    if isinstance(item, sa.Column | sa.Constraint) and copy is not None:
        try:
            return copy()
        except (AttributeError, TypeError, NotImplementedError):
            return item
    return item


def _name(name: Any) -> str | None:
    if name is None or type(name).__name__ == "_NoneName":
        return None
    return str(name)


def _without_column(table: TableShape, column: str) -> TableShape:
    # The database drops the indexes and constraints that use the column with it.
    return replace(
        table,
        columns=tuple(c for c in table.columns if c.name != column),
        primary_key=tuple(c for c in table.primary_key if c != column),
        indexes=tuple(i for i in table.indexes if column not in i.columns),
        uniques=tuple(u for u in table.uniques if column not in u.columns),
        foreign_keys=tuple(f for f in table.foreign_keys if column not in f.columns),
    )


def _rename_column(table: TableShape, old: str, new: str) -> TableShape:
    def swap(names: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(new if name == old else name for name in names)

    return replace(
        table,
        primary_key=swap(table.primary_key),
        indexes=tuple(replace(i, columns=swap(i.columns)) for i in table.indexes),
        uniques=tuple(replace(u, columns=swap(u.columns)) for u in table.uniques),
        foreign_keys=tuple(replace(f, columns=swap(f.columns)) for f in table.foreign_keys),
    )


@contextlib.contextmanager
def _installed(recorder: OperationRecorder) -> Iterator[None]:
    """Point ``alembic.op`` and ``alembic.context`` at the recorder for the replay."""
    import alembic.context
    import alembic.op

    modules = (vars(alembic.op), vars(alembic.context))
    saved = [module.get("_proxy", _MISSING) for module in modules]
    modules[0]["_proxy"] = recorder
    modules[1]["_proxy"] = _ContextStandIn(recorder)
    try:
        yield
    finally:
        for module, value in zip(modules, saved, strict=True):
            if value is _MISSING:
                module.pop("_proxy", None)
            else:
                module["_proxy"] = value


_MISSING = object()
_REPLAY_LOCK = threading.Lock()


_TRANSACTION_METHODS = ("commit", "rollback", "close", "detach", "begin")


@contextlib.contextmanager
def _guarded(connection: Connection | None) -> Iterator[None]:
    """Refuse what would end the read-only transaction or change its mode.

    The connection's own methods are shadowed so that a refusal leaves SQLAlchemy's
    transaction state intact; the commit event catches a commit through another path.
    """
    if connection is None:
        yield
        return

    def refuse(name: str) -> Any:
        def refused(*_: Any, **__: Any) -> None:
            raise ReplayError(f"it calls {name}() on the connection, which diagnosis refuses")

        return refused

    implicit_commit = connection.dialect.name in ("mysql", "mariadb")

    def before_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        refused = _TRANSACTION_STATEMENT.match(statement)
        # MySQL commits before any DDL statement, even one the read-only transaction refuses.
        if refused or (implicit_commit and _DDL_STATEMENT.match(statement)):
            raise ReplayError(f"it runs {statement.split()[0].upper()}, which diagnosis refuses")

    def before_commit(_conn: Any) -> None:
        raise ReplayError("it commits the transaction, which diagnosis refuses")

    for name in _TRANSACTION_METHODS:
        setattr(connection, name, refuse(name))
    event.listen(connection, "before_cursor_execute", before_execute)
    event.listen(connection, "commit", before_commit)
    try:
        yield
    finally:
        for name in _TRANSACTION_METHODS:
            vars(connection).pop(name, None)
        event.remove(connection, "before_cursor_execute", before_execute)
        event.remove(connection, "commit", before_commit)


def replay_revisions(
    scripts: MigrationScripts,
    revisions: Sequence[Revision],
    start: SchemaShape,
    dialect: Dialect,
    connection: Connection | None,
) -> Replay:
    """Run the revisions' ``upgrade()`` oldest first against the recorder, from ``start``."""
    replay = Replay(shape=start)
    recorder = OperationRecorder(replay, dialect, connection, scripts)
    by_id = {script.revision: script for script in scripts.revisions}
    # alembic.op is one module for the process: checks of several databases take turns.
    with _REPLAY_LOCK, _installed(recorder), _guarded(connection):
        for revision in revisions:
            recorder.revision = revision
            try:
                _run_upgrade(by_id[revision.revision], connection)
            except UnsafeMigrationError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure ends the replay with a reason
                replay.failed_at = revision
                replay.failure = _reason(error)
                logger.info("Replaying revision %s failed: %s", revision.revision, replay.failure)
                break
            replay.replayed.append(revision)
    return replay


def _run_upgrade(script: Any, connection: Connection | None) -> None:
    # A savepoint keeps a failed read (PostgreSQL aborts the transaction) from spoiling the
    # rest of the check; the savepoint is always rolled back, so nothing stays even if allowed.
    if connection is None:
        script.module.upgrade()
        return
    savepoint = connection.begin_nested()
    try:
        script.module.upgrade()
    except Exception:
        # The migration's own error is the reason to report, not a failed rollback after it.
        with contextlib.suppress(Exception):
            if savepoint.is_active:
                savepoint.rollback()
        raise
    finally:
        if not connection.in_transaction():
            _abandon(connection)
    if savepoint.is_active:
        savepoint.rollback()


def _abandon(connection: Connection) -> None:
    """The migration ended the transaction behind SQLAlchemy's back (its commit was refused,
    so nothing was written): drop the connection rather than go on outside the transaction."""
    connection.invalidate()
    raise UnsafeMigrationError(
        "A migration ended the diagnosis's read-only transaction (its commit was refused and "
        "nothing was written); the diagnosis stopped. Run the check without --alembic-config."
    )


def _reason(error: BaseException) -> str:
    if isinstance(error, ReplayError):
        return str(error)
    detail = str(getattr(error, "orig", None) or error).strip()
    first = " ".join(detail.splitlines()[0].split()) if detail else ""
    return f"it raised {type(error).__name__}: {first}" if first else type(error).__name__

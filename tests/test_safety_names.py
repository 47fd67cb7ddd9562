"""Hostile and unusual names, property-based: quotes, spaces, semicolons, unicode, reserved
words, mixed case, bind-parameter look-alikes and names at the dialect's length limit.

For each generated set of names (a schema, two tables joined by a foreign key, two columns and
an index), on each dialect: SQLAlchemy creates them (it quotes); the check finds no drift;
after one column is dropped it finds exactly that column missing, by its exact name; the fix
that schemadoctor plans adds it back (so every identifier in it was quoted right) and the
check is clean again. A table named ``victim`` must survive every example: nothing in a name
is ever executed. The examples are derandomized, so CI runs the same ones every time.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateSchema, DropSchema

from schemadoctor.api import CheckRequest, check, plan
from schemadoctor.apply import apply_fix
from schemadoctor.connect import open_database
from schemadoctor.load import LoadedModels
from schemadoctor.plan import PlanOptions
from schemadoctor.report import render

PIECES = (
    "'", '"', "`", " ", ";", "--", "/*", "\\", "%", "%s", "%(x)s", ":name", "?", "$1", ".",
    ",", "(", ")", "[", "]", "é", "ß", "Ω", "日本", "İ", "select", "table", "order", "user",
    "group", "index", "drop", "MiXeD", "UPPER", "x", "0",
)  # fmt: skip
# Bytes on PostgreSQL (it truncates longer names at 63 bytes), characters on MariaDB.
LIMITS = {"postgresql": 63, "mysql": 64, "sqlite": 64}
EXAMPLES = {"postgresql": 12, "mysql": 12, "sqlite": 25}
NAMES_PER_EXAMPLE = 6
passed_names: dict[str, int] = {}
RUN_TOKEN = f"sd{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Names:
    """One generated set of names."""

    schema: str
    table: str
    child: str
    keep: str
    drop: str
    index: str


INJECTION = Names(
    schema='s"; DROP TABLE victim; --',
    table='x"; DROP TABLE victim; --',
    child="c%s:name?$1'); DROP TABLE victim; --",
    keep="k'; DROP TABLE victim; --",
    drop="d`; DROP TABLE victim; --",
    index='i"); DROP TABLE victim; --',
)
RESERVED = Names("select", "table", "order", "user", "group", "index")


def _size(name: str, dialect: str) -> int:
    return len(name.encode()) if dialect == "postgresql" else len(name)


def _at_limit(name: str, dialect: str) -> str:
    """The name padded with x up to the dialect's identifier limit exactly."""
    padding = LIMITS[dialect] - _size(name, dialect)
    return name + "x" * padding if padding > 0 else name


def _name(dialect: str) -> st.SearchStrategy[str]:
    raw = st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join)
    padded = raw.map(lambda name: _at_limit(name, dialect))
    # MariaDB refuses names that end with a space; a name is never empty.
    return st.one_of(raw, padded).filter(lambda name: not name.endswith(" "))


def _folded(name: str) -> str:
    """How MariaDB compares column and index names: no case, no accents."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _names(dialect: str) -> st.SearchStrategy[Names]:
    return st.builds(Names, *(_name(dialect) for _ in range(NAMES_PER_EXAMPLE)))


def _usable(names: Names, dialect: str) -> bool:
    tables = {names.table, names.child}
    columns = [_folded(c) for c in ("id", "parent_id", names.keep, names.drop)]
    # PostgreSQL keeps indexes, tables and constraint names in one namespace per schema.
    relations = {_folded(n) for n in (names.table, names.child, names.index)}
    return (
        len(tables) == 2
        and len(set(columns)) == 4
        and len(relations) == 3
        and not any(_folded(n).startswith(("victim", "sqlite_")) for n in tables)
        and all(_size(n, dialect) <= LIMITS[dialect] for n in vars(names).values())
        # MariaDB names the child's foreign key <table>_ibfk_1, itself at most 64 characters.
        and (dialect != "mysql" or len(names.child) <= LIMITS[dialect] - len("_ibfk_1"))
    )


def _models(names: Names, schema: str | None) -> tuple[MetaData, Table]:
    metadata = MetaData(schema=schema)
    parent = Table(
        names.table,
        metadata,
        Column("id", Integer, primary_key=True),
        Column(names.keep, String(20)),
        Column(names.drop, Integer),
        Index(names.index, names.keep),
    )
    Table(
        names.child,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey(parent.c.id)),
    )
    return metadata, parent


def _kinds(report) -> list[tuple[str, str | None, str | None]]:
    return [(f.kind.value, f.table, f.column) for f in report.findings]


def _schema_for(name: str, dialect: str) -> str | None:
    """The schema to create: none on SQLite; on MariaDB a database, whose name is global to
    the server, so it starts with this run's own token (another run may use the same names)."""
    if dialect == "sqlite":
        return None
    if dialect == "mysql":
        return (RUN_TOKEN + name)[: LIMITS[dialect]].rstrip(" ")
    return name


def _shown(quoted: str, engine: Engine) -> str:
    if engine.dialect.paramstyle in ("format", "pyformat"):
        return quoted.replace("%%", "%")
    return quoted


def _round_trip(url: str, engine: Engine, names: Names, dialect: str) -> None:
    schema = _schema_for(names.schema, dialect)
    metadata, parent = _models(names, schema)
    database = open_database(url)
    preparer = engine.dialect.identifier_preparer
    if schema:
        with engine.begin() as connection:
            connection.execute(CreateSchema(schema))
    try:
        metadata.create_all(engine)
        in_sync = check(metadata, database, exclude_tables=["victim"])
        assert _kinds(in_sync) == [], in_sync.findings
        assert json.loads(render(in_sync, "json"))["findings"] == []

        # The preparer quotes, and doubles % where the driver reads it (format paramstyles).
        statement = (
            f"ALTER TABLE {preparer.format_table(parent)} DROP COLUMN {preparer.quote(names.drop)}"
        )
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
        drifted = check(metadata, database, exclude_tables=["victim"])
        assert _kinds(drifted) == [("missing_column", names.table, names.drop)]
        if schema:
            assert drifted.findings[0].schema == schema
        assert names.drop in render(drifted, "text")

        request = CheckRequest(exclude_tables=["victim"])
        fix = plan(metadata, database, request)
        assert fix.statements, fix
        # The plan shows statements as they run, with a single %.
        table_sql = _shown(preparer.format_table(parent), engine)
        column_sql = _shown(preparer.quote(names.drop), engine)
        assert all(table_sql in s for s in fix.statements), fix.statements
        assert any(column_sql in s for s in fix.statements), fix.statements
        models = LoadedModels(metadata=[metadata], targets=[])
        applied = apply_fix(models, url, request, PlanOptions(), fix)
        assert _kinds(applied.report) == []
    finally:
        database.dispose()
        metadata.drop_all(engine)
        if schema:
            with engine.begin() as connection:
                connection.execute(DropSchema(schema))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM victim")).scalar_one() == 1
    passed_names[dialect] = passed_names.get(dialect, 0) + NAMES_PER_EXAMPLE


def _with_victim(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE victim (id INTEGER PRIMARY KEY)"))
        connection.execute(text("INSERT INTO victim (id) VALUES (1)"))


def _property(dialect: str):
    @settings(
        max_examples=EXAMPLES[dialect],
        deadline=None,
        derandomize=True,
        database=None,
        # No shrinking: a failure is reported as found, in seconds rather than minutes.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(names=_names(dialect))
    @example(names=INJECTION)
    @example(names=RESERVED)
    def run(url: str, engine: Engine, names: Names) -> None:
        assume(_usable(names, dialect))
        _round_trip(url, engine, names, dialect)

    return run


_postgresql_property = _property("postgresql")
_mysql_property = _property("mysql")
_sqlite_property = _property("sqlite")


@pytest.mark.postgresql
def test_hostile_names_on_postgresql(postgresql_url, writable_engine):
    engine = writable_engine(postgresql_url)
    _with_victim(engine)
    _postgresql_property(postgresql_url, engine)
    # Shown with pytest -s: how many generated names went through the whole round trip.
    print(f"hostile names passed on postgresql: {passed_names.get('postgresql', 0)}")


@pytest.mark.mysql
def test_hostile_names_on_mariadb(mysql_url, writable_engine):
    engine = writable_engine(mysql_url)
    _with_victim(engine)
    _mysql_property(mysql_url, engine)
    print(f"hostile names passed on mysql: {passed_names.get('mysql', 0)}")


def test_hostile_names_on_sqlite(sqlite_url, writable_engine):
    engine = writable_engine(sqlite_url)
    _with_victim(engine)
    _sqlite_property(sqlite_url, engine)
    print(f"hostile names passed on sqlite: {passed_names.get('sqlite', 0)}")

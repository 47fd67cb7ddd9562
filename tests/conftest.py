"""Fixtures: a fresh database per test on SQLite, PostgreSQL and MariaDB/MySQL.

The servers are named by SCHEMADOCTOR_TEST_POSTGRESQL_URL and SCHEMADOCTOR_TEST_MYSQL_URL (an
admin URL; each test creates and drops its own database). Without them those tests skip with
the reason; with SCHEMADOCTOR_TEST_REQUIRE_SERVERS=1 (as in CI) a missing or unreachable
server fails the test instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from schemadoctor.connect import parse_url

POSTGRESQL_VARIABLE = "SCHEMADOCTOR_TEST_POSTGRESQL_URL"
MYSQL_VARIABLE = "SCHEMADOCTOR_TEST_MYSQL_URL"
REQUIRE_VARIABLE = "SCHEMADOCTOR_TEST_REQUIRE_SERVERS"
DIALECTS = ("sqlite", "postgresql", "mysql")


def _server_missing(variable: str, reason: str) -> None:
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{reason} ({REQUIRE_VARIABLE}=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


def _admin_engine(variable: str) -> Engine:
    admin_url = os.environ.get(variable)
    if not admin_url:
        _server_missing(variable, f"{variable} is not set; the server tests need it")
    engine = create_engine(parse_url(admin_url or ""), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means the server is unusable
        engine.dispose()
        _server_missing(variable, f"cannot reach the server in {variable}: {type(error).__name__}")
    return engine


def _fresh_postgresql() -> Iterator[str]:
    engine = _admin_engine(POSTGRESQL_VARIABLE)
    name = f"sd_test_{uuid.uuid4().hex[:12]}"
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(os.environ[POSTGRESQL_VARIABLE]).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        engine.dispose()


def _fresh_mysql() -> Iterator[str]:
    engine = _admin_engine(MYSQL_VARIABLE)
    name = f"sd_test_{uuid.uuid4().hex[:12]}"
    with engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = make_url(os.environ[MYSQL_VARIABLE]).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        engine.dispose()


def _fresh_sqlite(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / f"sd_test_{uuid.uuid4().hex[:8]}.db"
    create_engine(f"sqlite:///{path}").connect().close()
    yield f"sqlite:///{path}"


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    yield from _fresh_postgresql()


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """The URL of a new, empty MariaDB/MySQL database, dropped after the test."""
    yield from _fresh_mysql()


@pytest.fixture
def second_mysql_database(mysql_url: str) -> Iterator[str]:
    """The name of a second database beside ``mysql_url``'s on the same server, dropped first."""
    engine = create_engine(parse_url(mysql_url))
    name = f"{make_url(mysql_url).database}_b"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE `{name}`")
    try:
        yield name
    finally:
        with engine.begin() as connection:
            # Tables of the first database may hold foreign keys into this one.
            connection.exec_driver_sql("SET foreign_key_checks = 0")
            connection.exec_driver_sql(f"DROP DATABASE `{name}`")
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty SQLite file."""
    yield from _fresh_sqlite(tmp_path)


@pytest.fixture(params=DIALECTS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on each dialect in turn."""
    if request.param == "postgresql":
        yield from _fresh_postgresql()
    elif request.param == "mysql":
        yield from _fresh_mysql()
    else:
        yield from _fresh_sqlite(tmp_path)


@pytest.fixture
def writable_engine() -> Iterator[Callable[[str], Engine]]:
    """Engines that tests use to build and mutate their database (schemadoctor only reads)."""
    engines: list[Engine] = []

    def make(url: str) -> Engine:
        engine = create_engine(parse_url(url))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Run the real CLI in-process; stdout and stderr are kept apart."""
    from schemadoctor.cli import main

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return run

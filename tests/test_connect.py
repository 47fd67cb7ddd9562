"""Connecting: where the URL comes from, which driver a URL gets, and that checks never write."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from schemadoctor.connect import mask_text, mask_url, open_database, parse_url, resolve_url
from schemadoctor.errors import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent
CHAT_MODELS = str(ROOT / "examples" / "chat" / "models.py")


def test_url_comes_from_the_option_then_the_two_variables():
    both = {"SCHEMADOCTOR_DATABASE_URL": "sqlite:///a.db", "DATABASE_URL": "sqlite:///b.db"}

    assert resolve_url("sqlite:///cli.db", both) == "sqlite:///cli.db"
    assert resolve_url(None, both) == "sqlite:///a.db"
    assert resolve_url(None, {"DATABASE_URL": "sqlite:///b.db"}) == "sqlite:///b.db"
    with pytest.raises(ConfigurationError):
        resolve_url(None, {})


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@h/d", "postgresql+psycopg2"),
        ("postgres://u@h/d", "postgresql+psycopg2"),
        ("postgresql+asyncpg://u@h/d", "postgresql+psycopg2"),
        ("postgresql+psycopg_async://u@h/d", "postgresql+psycopg2"),
        ("mysql://u@h/d", "mysql+pymysql"),
        ("mysql+aiomysql://u@h/d", "mysql+pymysql"),
        ("mysql+asyncmy://u@h/d", "mysql+pymysql"),
        ("mariadb://u@h/d", "mariadb+pymysql"),
        ("mariadb+aiomysql://u@h/d", "mariadb+pymysql"),
        ("sqlite+aiosqlite:///x.db", "sqlite+pysqlite"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_urls_get_an_installed_sync_driver(given, driver):
    # Only psycopg2 is installed here: a plain URL must not ask for psycopg 3.
    assert parse_url(given).drivername == driver


def test_password_masking_covers_encoded_forms():
    url = make_url("postgresql://app:S3cr3t%40Pa55%2F@db/app")

    text_with_both = f"failed for {url.password} ({url.render_as_string(hide_password=False)})"

    masked = mask_text(text_with_both, url)
    assert "S3cr3t" not in masked
    assert "app:***@db" in masked
    assert "S3cr3t" not in mask_url(url)
    assert mask_text("see postgresql://u:p@ss@h/d now") == "see postgresql://u:***@h/d now"


def _build_chat(url: str) -> None:
    script = ROOT / "examples" / "chat" / "make_database.py"
    subprocess.run([sys.executable, str(script), url], check=True, capture_output=True)


def _as_scheme(url: str, scheme: str) -> str:
    return make_url(url).set(drivername=scheme).render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("dialect", "scheme"),
    [
        ("postgresql", "postgresql"),
        ("postgresql", "postgres"),
        ("postgresql", "postgresql+asyncpg"),
        ("mysql", "mysql+aiomysql"),
        ("mysql", "mariadb"),
        ("mysql", "mariadb+aiomysql"),
        ("sqlite", "sqlite+aiosqlite"),
    ],
)
def test_check_through_every_url_form(request, run_cli, dialect, scheme):
    url = request.getfixturevalue(f"{dialect}_url")
    _build_chat(url)

    result = run_cli("check", "--models", CHAT_MODELS, "--db", _as_scheme(url, scheme))

    assert result.exit_code == 1, result.stderr
    assert "workflow_config" in result.stdout


def test_plain_postgresql_url_connects_with_psycopg2(postgresql_url):
    assert make_url(postgresql_url).drivername == "postgresql"

    database = open_database(postgresql_url)
    with database.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    database.dispose()

    assert database.engine.dialect.driver == "psycopg2"


def _fingerprint(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO probe (id) VALUES (2)",
        "UPDATE probe SET id = 3",
        "CREATE TABLE intruder (id INTEGER)",
    ],
)
def test_the_check_connection_cannot_write(db_url, writable_engine, statement):
    with writable_engine(db_url).begin() as connection:
        connection.execute(text("CREATE TABLE probe (id INTEGER)"))
        connection.execute(text("INSERT INTO probe (id) VALUES (1)"))
    sqlite_path = make_url(db_url).database if db_url.startswith("sqlite") else None
    before = _fingerprint(sqlite_path) if sqlite_path else None
    database = open_database(db_url)

    for _ in range(2):  # the second round reuses the pooled connection
        with pytest.raises(DBAPIError) as raised, database.connect() as connection:
            connection.execute(text(statement))
        assert "read" in str(raised.value.orig).lower()
    database.dispose()

    with writable_engine(db_url).connect() as connection:
        assert connection.execute(text("SELECT id FROM probe")).scalars().all() == [1]
        tables = connection.dialect.get_table_names(connection)
    assert "intruder" not in tables
    if sqlite_path:
        assert _fingerprint(sqlite_path) == before


def test_check_on_postgresql_with_a_password_shows_it_masked(postgresql_url, run_cli):
    # The local server trusts 127.0.0.1, so any password logs in; the report must hide it.
    _build_chat(postgresql_url)
    url = make_url(postgresql_url).set(password="S3cr3t-Pa55").render_as_string(False)

    result = run_cli("check", "--models", CHAT_MODELS, "--format", "json", "--db", url)

    assert result.exit_code == 1, result.stderr
    assert "S3cr3t-Pa55" not in result.stdout + result.stderr
    assert json.loads(result.stdout)["database"]["url"].startswith(
        "postgresql+psycopg2://postgres:***@"
    )

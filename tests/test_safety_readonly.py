"""Read-only checks: a role that may only read can check, and a check writes nothing.

PostgreSQL and MariaDB: a login that may only read (created here, dropped after) runs the real
CLI's reading commands (check, check --probe, snapshot, explain); row counts, table contents
and the servers' write counters are the same before and after, and the check's transaction
refuses a write. SQLite: the file's bytes and modification time
do not change and the connection refuses a write.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from safety_support import CHAT_MODELS, admin_engine, build_chat, run_cli_process
from schemadoctor.connect import open_database

TABLES = ("users", "conversations", "messages")
EXPECTED = [("missing_column", "conversations", "workflow_config")]


def _check_as(url: str):
    outcome = run_cli_process("check", "--models", CHAT_MODELS, "--db", url, "--format", "json")
    assert outcome.exit_code == 1, outcome.stderr
    findings = json.loads(outcome.stdout)["findings"]
    assert [(f["kind"], f["table"], f["column"]) for f in findings] == EXPECTED
    return outcome


def _every_reading_command_as(url: str) -> None:
    """check, check --probe, snapshot and explain: each does its job with read access only."""
    _check_as(url)
    probed = run_cli_process(
        "check", "--probe", "--models", CHAT_MODELS, "--db", url, "--format", "json"
    )
    assert probed.exit_code == 1, probed.stderr
    assert [f["kind"] for f in json.loads(probed.stdout)["findings"]] == ["missing_column"]
    snapshot = run_cli_process("snapshot", "--db", url)
    assert snapshot.exit_code == 0, snapshot.stderr
    assert "conversations" in snapshot.stdout
    explained = run_cli_process(
        "explain", "column conversations.workflow_config does not exist",
        "--models", CHAT_MODELS, "--db", url,
    )  # fmt: skip
    assert explained.exit_code in (0, 1), explained.stderr
    assert "workflow_config" in explained.stdout


# PostgreSQL


def _postgresql_state(url: str) -> dict[str, object]:
    """Row count, content digest and write counters of every table."""
    state: dict[str, object] = {}
    with admin_engine(url).connect() as admin:
        admin.execute(text("SELECT pg_stat_clear_snapshot()"))
        for table in TABLES:
            state[table] = admin.execute(
                text(
                    "SELECT count(*), "
                    "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    f"FROM {table} AS t"
                )
            ).one()
        state["counters"] = admin.execute(
            text(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd "
                "FROM pg_stat_user_tables ORDER BY relname"
            )
        ).all()
    return state


def _wait_until_gone(url: str, role: str) -> None:
    """Until the check's sessions have ended (and flushed their statistics)."""
    deadline = time.monotonic() + 20
    with admin_engine(url).connect() as admin:
        while time.monotonic() < deadline:
            count = admin.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE usename = :role"),
                {"role": role},
            ).scalar_one()
            if not count:
                return
            time.sleep(0.1)
    raise AssertionError(f"the sessions of {role} did not end")


@pytest.mark.postgresql
def test_postgresql_role_that_may_only_read_can_check_and_nothing_is_written(postgresql_url):
    build_chat(postgresql_url)
    name = make_url(postgresql_url).database
    role = f"sd_reader_{uuid.uuid4().hex[:8]}"
    with admin_engine(postgresql_url).connect() as admin:
        admin.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        admin.exec_driver_sql(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
        admin.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{name}" TO "{role}"')
        admin.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        admin.exec_driver_sql(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    reader_url = make_url(postgresql_url).set(username=role).render_as_string(False)
    before = _postgresql_state(postgresql_url)

    try:
        _every_reading_command_as(reader_url)
        _wait_until_gone(postgresql_url, role)
        after = _postgresql_state(postgresql_url)
    finally:
        with admin_engine(postgresql_url).connect() as admin:
            admin.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
            )
            admin.exec_driver_sql(f'DROP OWNED BY "{role}"')
            admin.exec_driver_sql(f'DROP ROLE "{role}"')

    assert after == before


@pytest.mark.postgresql
def test_postgresql_reading_commands_issue_no_ddl_even_as_superuser(postgresql_url):
    build_chat(postgresql_url)
    with admin_engine(postgresql_url).connect() as admin:
        # Any DDL the check sent (a temporary table, say) would leave a row here.
        admin.exec_driver_sql("CREATE SCHEMA audit")
        admin.exec_driver_sql("CREATE TABLE audit.ddl (tag text, at timestamptz DEFAULT now())")
        admin.exec_driver_sql(
            "CREATE FUNCTION audit.record() RETURNS event_trigger LANGUAGE plpgsql AS "
            "$$ BEGIN INSERT INTO audit.ddl (tag) VALUES (tg_tag); END $$"
        )
        admin.exec_driver_sql(
            "CREATE EVENT TRIGGER record_ddl ON ddl_command_start EXECUTE FUNCTION audit.record()"
        )

    _every_reading_command_as(postgresql_url)

    with admin_engine(postgresql_url).connect() as admin:
        recorded = admin.exec_driver_sql("SELECT tag FROM audit.ddl").all()
        admin.exec_driver_sql("DROP EVENT TRIGGER record_ddl")
    assert recorded == []


@pytest.mark.postgresql
def test_postgresql_check_transaction_refuses_writes(postgresql_url):
    build_chat(postgresql_url)
    with admin_engine(postgresql_url).connect() as admin:
        admin.exec_driver_sql(
            "CREATE FUNCTION touch() RETURNS int LANGUAGE sql AS "
            "$$ INSERT INTO users (id, email) VALUES (99, 'x@example.com') RETURNING id $$"
        )
    database = open_database(postgresql_url)

    with database.connect() as connection:
        read_only = connection.exec_driver_sql("SHOW transaction_read_only").scalar_one()
        with pytest.raises(DBAPIError, match="read-only transaction"):
            connection.exec_driver_sql("SELECT touch()")
    database.dispose()

    assert read_only == "on"
    with admin_engine(postgresql_url).connect() as admin:
        assert admin.exec_driver_sql("SELECT count(*) FROM users").scalar_one() == 1


# MariaDB / MySQL


def _mysql_state(url: str) -> dict[str, object]:
    with admin_engine(url).connect() as admin:
        state: dict[str, object] = {
            table: admin.exec_driver_sql(f"CHECKSUM TABLE `{table}`").one()[1] for table in TABLES
        }
        for table in TABLES:
            state[f"{table} rows"] = admin.exec_driver_sql(
                f"SELECT count(*) FROM `{table}`"
            ).scalar_one()
    return state


@pytest.mark.mysql
def test_mysql_user_that_may_only_select_can_check_and_nothing_is_written(mysql_url):
    build_chat(mysql_url)
    name = make_url(mysql_url).database
    user = f"sd_reader_{uuid.uuid4().hex[:8]}"
    with admin_engine(mysql_url).connect() as admin:
        admin.execute(text(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'reader-secret'"))
        admin.execute(text(f"GRANT SELECT ON `{name}`.* TO '{user}'@'%'"))
    reader_url = (
        make_url(mysql_url).set(username=user, password="reader-secret").render_as_string(False)
    )
    before = _mysql_state(mysql_url)

    try:
        _every_reading_command_as(reader_url)
        after = _mysql_state(mysql_url)
    finally:
        with admin_engine(mysql_url).connect() as admin:
            admin.execute(text(f"DROP USER '{user}'@'%'"))

    assert after == before


@pytest.mark.mysql
def test_mysql_check_session_is_read_only(mysql_url):
    build_chat(mysql_url)
    database = open_database(mysql_url)

    with database.connect() as connection:
        read_only = connection.exec_driver_sql("SELECT @@session.tx_read_only").scalar_one()
        with pytest.raises(DBAPIError, match="READ ONLY transaction"):
            connection.exec_driver_sql("INSERT INTO users (id, email) VALUES (99, 'x@example.com')")
    database.dispose()

    assert read_only == 1
    with admin_engine(mysql_url).connect() as admin:
        assert admin.exec_driver_sql("SELECT count(*) FROM users").scalar_one() == 1


# SQLite


def _file_state(path: Path) -> tuple[str, int, int]:
    status = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), status.st_mtime_ns, status.st_size


@pytest.mark.parametrize("journal_mode", ["delete", "wal"])
def test_sqlite_check_leaves_the_file_untouched(sqlite_url, journal_mode):
    build_chat(sqlite_url)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    with admin_engine(sqlite_url).connect() as admin:
        admin.exec_driver_sql(f"PRAGMA journal_mode = {journal_mode}")
    # An old modification time, so that any write would show even within one clock tick.
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = _file_state(path)

    _every_reading_command_as(sqlite_url)

    assert _file_state(path) == before
    # In WAL mode SQLite itself creates the side files for any reader; the log stays empty.
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert not path.with_name(path.name + "-journal").exists()


def test_sqlite_check_connection_is_opened_read_only(sqlite_url):
    build_chat(sqlite_url)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    before = _file_state(path)
    database = open_database(sqlite_url)

    with database.connect() as connection, pytest.raises(DBAPIError, match="readonly database"):
        connection.exec_driver_sql("INSERT INTO users (id, email) VALUES (99, 'x@example.com')")
    database.dispose()

    assert _file_state(path) == before

"""Bounded waits and faults: a check never queues forever behind a lock, and dies cleanly.

Each test holds a real lock (or kills a real session) from another connection and runs the
real CLI in a child process; every wait must end within BOUND seconds with exit 2 and one
sentence naming what happened, never a traceback.

What blocks the catalog reads, measured on the servers here:
- PostgreSQL: an ACCESS EXCLUSIVE lock on a user table (a migration's ALTER TABLE) blocks the
  reader, which opens the table to describe its indexes; a lock on a catalog (pg_constraint)
  blocks any reader; locks on pg_type and pg_namespace block SQLAlchemy's start-up queries.
- MariaDB: ``LOCK TABLES t WRITE`` does not block the information_schema reads at all (the
  check completes while it is held); an exclusive metadata lock does, as held by a
  ``CREATE TABLE ... AS SELECT`` still running.
- SQLite: another connection's EXCLUSIVE transaction (rollback journal) blocks readers.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time

import pytest
from sqlalchemy import text

from safety_support import (
    CHAT_MODELS,
    HARD_LIMIT,
    admin_engine,
    assert_no_traceback,
    build_chat,
    database_name,
    run_cli_process,
    session_holding,
    silent_listener,
    start_cli_process,
    statement_running,
    wait_for,
)

BOUND = 10.0
LOCK_SENTENCE = "waited too long for a lock held by another session"
STATEMENT_SENTENCE = "took longer than the statement timeout"
LOST_SENTENCE = "was lost while reading the database schema"


def _check(url: str, *options: str):
    return run_cli_process("check", "--models", CHAT_MODELS, "--db", url, *options)


def _assert_bounded_failure(outcome, sentence: str, doing: str = "Reading the database schema"):
    assert outcome.exit_code == 2, (outcome.stdout, outcome.stderr)
    assert outcome.elapsed < BOUND, outcome.elapsed
    assert f"error: {doing} {sentence}" in outcome.stderr, outcome.stderr
    assert outcome.stdout == ""
    assert_no_traceback(outcome)


# PostgreSQL


@pytest.mark.postgresql
def test_postgresql_table_lock_of_a_migration_ends_within_the_lock_timeout(postgresql_url):
    build_chat(postgresql_url)

    with session_holding(
        postgresql_url, "LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE"
    ) as holder:
        outcome = _check(postgresql_url, "--lock-timeout", "1")
        assert holder.exec_driver_sql("SELECT 1").scalar_one() == 1

    _assert_bounded_failure(outcome, LOCK_SENTENCE)


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("catalog", "doing"),
    [
        ("pg_constraint", "Reading the database schema"),
        ("pg_type", "Connecting to the database"),
        ("pg_namespace", "Connecting to the database"),
    ],
)
def test_postgresql_catalog_lock_ends_within_the_lock_timeout(postgresql_url, catalog, doing):
    build_chat(postgresql_url)

    with session_holding(
        postgresql_url, f"LOCK TABLE pg_catalog.{catalog} IN ACCESS EXCLUSIVE MODE"
    ):
        outcome = _check(postgresql_url, "--lock-timeout", "1", "--connect-timeout", "5")

    _assert_bounded_failure(outcome, LOCK_SENTENCE, doing)


@pytest.mark.postgresql
def test_postgresql_statement_timeout_ends_a_blocked_read(postgresql_url):
    build_chat(postgresql_url)

    with session_holding(
        postgresql_url, "LOCK TABLE pg_catalog.pg_constraint IN ACCESS EXCLUSIVE MODE"
    ):
        outcome = _check(postgresql_url, "--lock-timeout", "30", "--statement-timeout", "1")

    _assert_bounded_failure(outcome, STATEMENT_SENTENCE)


def _postgresql_waiting_backend(admin_url: str, name: str) -> int | None:
    with admin_engine(admin_url).connect() as admin:
        return admin.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :name "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar()


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("function", "sentence"),
    [
        ("pg_terminate_backend", LOST_SENTENCE),
        ("pg_cancel_backend", "was cancelled by another session"),
    ],
)
def test_postgresql_backend_killed_mid_reflection(postgresql_url, function, sentence):
    build_chat(postgresql_url)
    name = database_name(postgresql_url)

    with session_holding(postgresql_url, "LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE"):
        process = start_cli_process(
            "check", "--models", CHAT_MODELS, "--db", postgresql_url, "--lock-timeout", "60"
        )
        pid = wait_for(lambda: _postgresql_waiting_backend(postgresql_url, name))
        with admin_engine(postgresql_url).connect() as admin:
            admin.execute(text(f"SELECT {function}(:pid)"), {"pid": pid})
        stdout, stderr = process.communicate(timeout=HARD_LIMIT)

    assert process.returncode == 2, stderr
    assert sentence in stderr, stderr
    assert stdout == ""
    assert "Traceback" not in stderr


@pytest.mark.postgresql
def test_postgresql_interrupted_check_exits_2_and_leaves_no_session(postgresql_url):
    build_chat(postgresql_url)
    name = database_name(postgresql_url)

    with session_holding(postgresql_url, "LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE"):
        # Limitation: psycopg2 holds Ctrl-C until the blocked query returns, so the interrupt
        # lands at the lock timeout — an interruptible wait loop in the driver would lift it.
        process = start_cli_process(
            "check", "--models", CHAT_MODELS, "--db", postgresql_url, "--lock-timeout", "3"
        )
        wait_for(lambda: _postgresql_waiting_backend(postgresql_url, name))
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=HARD_LIMIT)
        # Exit 1 would read as "drift found" to a CI gate.
        assert process.returncode == 2, stderr
        assert time.monotonic() - started < BOUND
        assert "interrupted" in stderr
        assert "Traceback" not in stderr
        wait_for(lambda: _postgresql_waiting_backend(postgresql_url, name) is None)


# MariaDB / MySQL


@pytest.mark.mysql
def test_mysql_write_lock_does_not_block_the_check(mysql_url):
    build_chat(mysql_url)

    with session_holding(mysql_url, "LOCK TABLES conversations WRITE"):
        outcome = _check(mysql_url, "--lock-timeout", "1", "--format", "json")

    assert outcome.exit_code == 1, outcome.stderr
    assert outcome.elapsed < BOUND
    findings = json.loads(outcome.stdout)["findings"]
    assert [(f["kind"], f["table"], f["column"]) for f in findings] == [
        ("missing_column", "conversations", "workflow_config")
    ]


SLOW_CREATE = "CREATE TABLE slow_copy AS SELECT SLEEP(40) AS x"


@pytest.mark.mysql
def test_mysql_metadata_lock_ends_within_the_lock_timeout(mysql_url):
    build_chat(mysql_url)

    with statement_running(mysql_url, SLOW_CREATE):
        outcome = _check(mysql_url, "--lock-timeout", "1")

    _assert_bounded_failure(outcome, LOCK_SENTENCE)


@pytest.mark.mysql
def test_mysql_statement_timeout_ends_a_blocked_read(mysql_url):
    build_chat(mysql_url)

    with statement_running(mysql_url, SLOW_CREATE):
        outcome = _check(mysql_url, "--lock-timeout", "30", "--statement-timeout", "1")

    _assert_bounded_failure(outcome, STATEMENT_SENTENCE)


def _mysql_waiting_sessions(admin_url: str, name: str) -> list[int]:
    with admin_engine(admin_url).connect() as admin:
        return list(
            admin.execute(
                text(
                    "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = :name "
                    "AND STATE LIKE 'Waiting for table metadata lock%'"
                ),
                {"name": name},
            ).scalars()
        )


@pytest.mark.mysql
@pytest.mark.parametrize(
    ("kill", "sentence"),
    [("KILL", LOST_SENTENCE), ("KILL QUERY", "was cancelled by another session")],
)
def test_mysql_session_killed_mid_reflection(mysql_url, kill, sentence):
    build_chat(mysql_url)
    name = database_name(mysql_url)

    with statement_running(mysql_url, SLOW_CREATE):
        process = start_cli_process(
            "check", "--models", CHAT_MODELS, "--db", mysql_url, "--lock-timeout", "60"
        )
        # The check reads the columns on one connection and the keys on a second: both wait
        # on the lock, and an administrator clearing the way kills the check's sessions.
        wait_for(lambda: _mysql_waiting_sessions(mysql_url, name))
        time.sleep(0.5)
        with admin_engine(mysql_url).connect() as admin:
            for session_id in _mysql_waiting_sessions(mysql_url, name):
                admin.exec_driver_sql(f"{kill} {int(session_id)}")
        stdout, stderr = process.communicate(timeout=HARD_LIMIT)

    assert process.returncode == 2, stderr
    assert sentence in stderr, stderr
    assert stdout == ""
    assert "Traceback" not in stderr


# SQLite


def test_sqlite_exclusive_transaction_ends_within_the_lock_timeout(sqlite_url):
    build_chat(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        outcome = _check(sqlite_url, "--lock-timeout", "1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert outcome.exit_code == 2, outcome.stderr
    assert outcome.elapsed < BOUND
    assert LOCK_SENTENCE in outcome.stderr, outcome.stderr
    assert_no_traceback(outcome)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_sqlite_damaged_file_fails_in_one_sentence(sqlite_url, damage):
    build_chat(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    with open(path, "rb") as handle:
        content = handle.read()
    with open(path, "wb") as handle:
        handle.write(b"not a database at all " * 200 if damage == "garbage" else content[:1500])

    outcome = _check(sqlite_url)

    assert outcome.exit_code == 2, (outcome.stdout, outcome.stderr)
    assert outcome.stderr.startswith("error: "), outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1, outcome.stderr
    assert_no_traceback(outcome)


# Connecting


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_connecting_to_a_server_that_never_answers_times_out(scheme):
    with silent_listener() as port:
        outcome = run_cli_process(
            "check",
            "--models",
            CHAT_MODELS,
            "--db",
            f"{scheme}://app@127.0.0.1:{port}/app",
            "--connect-timeout",
            "1",
        )

    assert outcome.exit_code == 2, outcome.stderr
    assert outcome.elapsed < BOUND, outcome.elapsed
    assert "timed out" in outcome.stderr
    assert "--connect-timeout" in outcome.stderr
    assert_no_traceback(outcome)

"""Diagnosing and probing write nothing and leave no transaction or lock behind."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from doctor_support import HEAD_FILE, MODELS, ONE_BEHIND, build_one_behind, copy_project
from doctor_support import write_revision as add_revision

WRITE_ATTEMPTS = {
    "update": "op.get_bind().execute(sa.text(\"UPDATE users SET email = 'changed@example.com'\"))",
    "create": 'op.get_bind().execute(sa.text("CREATE TABLE sneaky (id INTEGER)"))',
    "commit_then_update": (
        "bind = op.get_bind()\n"
        "bind.commit()\n"
        "bind.execute(sa.text(\"UPDATE users SET email = 'changed@example.com'\"))"
    ),
}
REFUSALS = {
    "postgresql": "read-only transaction",
    "mysql": "READ ONLY transaction",
    "sqlite": "readonly database",
}


def _state(engine) -> dict[str, object]:
    """Everything a write could change: tables, columns, rows and the version table."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        tables = sorted(inspector.get_table_names())
        state: dict[str, object] = {"tables": tables}
        for table in tables:
            state[f"{table}.columns"] = [c["name"] for c in inspector.get_columns(table)]
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            state[f"{table}.rows"] = sorted(repr(tuple(row)) for row in rows)
    return state


def _leftovers(engine, url: str) -> list[object]:
    """Open transactions or locks that another session still holds on the database."""
    name = make_url(url).database
    with engine.connect() as connection:
        dialect = connection.dialect.name
        if dialect == "postgresql":
            return list(
                connection.execute(
                    text(
                        "SELECT l.locktype, l.mode, a.state FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE a.datname = :name AND l.pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
            )
        if dialect in ("mysql", "mariadb"):
            return list(
                connection.execute(
                    text(
                        "SELECT t.trx_id FROM information_schema.INNODB_TRX t "
                        "JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
                        "WHERE p.DB = :name AND p.ID <> CONNECTION_ID()"
                    ),
                    {"name": name},
                )
            )
    path = Path(name or "")
    return [p.name for p in path.parent.glob(path.name + "-*")]


def _digest(url: str) -> str | None:
    if not url.startswith("sqlite"):
        return None
    return hashlib.sha256(Path(make_url(url).database or "").read_bytes()).hexdigest()


def test_diagnosis_and_probe_write_nothing_and_hold_nothing(
    db_url, run_cli, writable_engine, tmp_path
):
    ini = copy_project(tmp_path)
    build_one_behind(db_url)
    engine = writable_engine(db_url)
    before, digest = _state(engine), _digest(db_url)

    result = run_cli(
        "check", "--models", MODELS, "--db", db_url, "--alembic-config", str(ini), "--probe"
    )

    assert result.exit_code == 1, result.stderr
    assert "cause: fixed by a pending migration" in result.stdout
    assert _state(engine) == before
    assert _digest(db_url) == digest
    assert _leftovers(engine, db_url) == []


@pytest.mark.parametrize("attempt", sorted(WRITE_ATTEMPTS))
def test_a_migration_writing_through_get_bind_is_refused(
    db_url, run_cli, writable_engine, tmp_path, attempt
):
    ini = copy_project(tmp_path)
    (ini.parent / "migrations" / "versions" / HEAD_FILE).unlink()
    body = WRITE_ATTEMPTS[attempt] + (
        '\nop.add_column("conversations", sa.Column("workflow_config", sa.JSON()))'
    )
    add_revision(ini, "0d0d0d0d0d0d", ONE_BEHIND, body, "write through the connection")
    build_one_behind(db_url)
    engine = writable_engine(db_url)
    before = _state(engine)

    result = run_cli(
        "check",
        "--models",
        MODELS,
        "--db",
        db_url,
        "--alembic-config",
        str(ini),
        "--format",
        "json",
    )

    assert result.exit_code == 1, result.stderr
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["cause"] == "unknown"
    assert "0d0d0d0d0d0d" in finding["cause_detail"]
    if attempt == "commit_then_update":
        assert (
            "calls commit() on the connection, which diagnosis refuses" in (finding["cause_detail"])
        )
    elif attempt == "set_read_write":
        assert "runs SET, which diagnosis refuses" in finding["cause_detail"]
    elif attempt == "create" and engine.dialect.name == "mysql":
        # MySQL would commit before refusing DDL, so the guard refuses it first.
        assert "runs CREATE, which diagnosis refuses" in finding["cause_detail"]
    else:
        assert REFUSALS[engine.dialect.name] in finding["cause_detail"]
    assert _state(engine) == before
    assert _leftovers(engine, db_url) == []


def test_a_commit_around_the_guard_stops_the_diagnosis_with_nothing_written(
    db_url, run_cli, writable_engine, tmp_path
):
    ini = copy_project(tmp_path)
    body = (
        "bind = op.get_bind()\n"
        "bind.get_transaction().commit()\n"
        "bind.execute(sa.text(\"UPDATE users SET email = 'changed@example.com'\"))"
    )
    add_revision(ini, "0c0c0c0c0c0c", ONE_BEHIND, body, "commit the root transaction")
    (ini.parent / "migrations" / "versions" / HEAD_FILE).unlink()
    build_one_behind(db_url)
    engine = writable_engine(db_url)
    before = _state(engine)

    result = run_cli("check", "--models", MODELS, "--db", db_url, "--alembic-config", str(ini))

    assert result.exit_code == 2
    assert "ended the diagnosis's read-only transaction" in result.stderr
    assert _state(engine) == before
    assert _leftovers(engine, db_url) == []

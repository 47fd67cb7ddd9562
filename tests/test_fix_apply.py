"""Applying safely: concurrent applies, locks held by others, failures midway, enum labels."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import BigInteger, Column, Enum, Integer, MetaData, String, Table, inspect, text

from fixdrift import build, write_models
from schemadoctor.api import CheckRequest, as_models, plan
from schemadoctor.apply import ADVISORY_LOCK_KEY, apply_fix, mysql_lock_name
from schemadoctor.connect import Timeouts
from schemadoctor.errors import ApplyFailedError
from schemadoctor.plan import PlanOptions

ROOT = Path(__file__).resolve().parent.parent
CHAT_MODELS = str(ROOT / "examples" / "chat" / "models.py")


def _chat_database(url: str) -> None:
    script = ROOT / "examples" / "chat" / "make_database.py"
    subprocess.run([sys.executable, str(script), url], check=True, capture_output=True)


def _columns(engine, table: str) -> list[str]:
    return [column["name"] for column in inspect(engine).get_columns(table)]


def test_two_applies_at_once_run_once(db_url, writable_engine):
    _chat_database(db_url)
    models = as_models([CHAT_MODELS])
    request = CheckRequest(timeouts=Timeouts(lock=3.0))
    plans = [plan(models, db_url, request, PlanOptions()) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[tuple[str, list[str], str, float]] = []

    def run(index: int) -> None:
        barrier.wait()
        started = time.monotonic()
        try:
            result = apply_fix(models, db_url, request, PlanOptions(), plans[index])
            outcomes.append(("applied", result.ran, "", time.monotonic() - started))
        except ApplyFailedError as error:
            outcomes.append(("stopped", error.ran, str(error), time.monotonic() - started))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcome[0] for outcome in outcomes) == ["applied", "stopped"], outcomes
    applied = next(o for o in outcomes if o[0] == "applied")
    stopped = next(o for o in outcomes if o[0] == "stopped")
    assert applied[1] == plans[0].statements
    assert stopped[1] == []
    assert "another schemadoctor fix --apply" in stopped[2].lower()
    assert stopped[3] < request.timeouts.lock + 5
    assert _columns(writable_engine(db_url), "conversations").count("workflow_config") == 1
    dialect = db_url.split(":")[0]
    print(f"\n{dialect}: one apply ran in {applied[3]:.2f} s, the other stopped after "
          f"{stopped[3]:.2f} s: {stopped[2]}")  # fmt: skip


def test_apply_waits_a_bounded_time_for_another_apply(postgresql_url, run_cli, writable_engine):
    _chat_database(postgresql_url)
    engine = writable_engine(postgresql_url)

    with engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        started = time.monotonic()
        result = run_cli(
            "fix", "--models", CHAT_MODELS, "--db", postgresql_url, "--apply", "--yes",
            "--lock-timeout", "1",
        )  # fmt: skip
        waited = time.monotonic() - started

    assert result.exit_code == 2
    assert "Another schemadoctor fix --apply is running" in result.stderr
    assert "workflow_config" not in _columns(engine, "conversations")
    assert waited < 6
    print(f"\nwaited {waited:.2f} s (lock timeout 1 s, planning included)")


def _hold_table(engine, url: str):
    """Another session that keeps a transaction open on conversations."""
    holder = engine.connect()
    if url.startswith("sqlite"):
        holder.exec_driver_sql("BEGIN IMMEDIATE")
        holder.exec_driver_sql("UPDATE conversations SET title = title")
    else:
        # A long transaction that has read the table: ALTER TABLE must wait for it.
        holder.execute(text("SELECT count(*) FROM conversations"))
    return holder


def test_apply_blocked_by_a_table_lock_ends_within_the_lock_timeout(
    db_url, run_cli, writable_engine
):
    _chat_database(db_url)
    engine = writable_engine(db_url)
    if db_url.startswith("sqlite"):
        # The test drives SQLite's transactions itself.
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    holder = _hold_table(engine, db_url)
    try:
        started = time.monotonic()
        result = run_cli(
            "fix", "--models", CHAT_MODELS, "--db", db_url, "--apply", "--yes",
            "--lock-timeout", "1",
        )  # fmt: skip
        waited = time.monotonic() - started
    finally:
        holder.rollback() if holder.in_transaction() else holder.exec_driver_sql("ROLLBACK")
        holder.close()

    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2, result.stderr
    assert len(error_lines) == 1
    assert "waited more than 1 s for a lock held by another session" in error_lines[0]
    assert error_lines[0].count(". ") == 0
    assert "workflow_config" not in _columns(engine, "conversations")
    assert 1 <= waited < 8
    print(f"\nblocked apply ended after {waited:.2f} s (lock timeout 1 s, planning included)")


def test_mysql_apply_waits_a_bounded_time_for_another_apply(mysql_url, run_cli, writable_engine):
    _chat_database(mysql_url)
    engine = writable_engine(mysql_url)

    with engine.connect() as holder:
        name = mysql_lock_name(engine.url.database)
        taken = holder.execute(text("SELECT GET_LOCK(:name, 0)"), {"name": name}).scalar()
        assert taken == 1
        started = time.monotonic()
        result = run_cli(
            "fix", "--models", CHAT_MODELS, "--db", mysql_url, "--apply", "--yes",
            "--lock-timeout", "1",
        )  # fmt: skip
        waited = time.monotonic() - started

    assert result.exit_code == 2
    assert "Another schemadoctor fix --apply is running" in result.stderr
    assert "workflow_config" not in _columns(engine, "conversations")
    assert waited < 8
    print(f"\nwaited {waited:.2f} s (lock timeout 1 s, planning included)")


MIDWAY_MODELS = """
from sqlalchemy import Column, Index, Integer, MetaData, SmallInteger, String, Table, Text

metadata = MetaData()
items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", SmallInteger),
    Column("code", String(20)),
    Column("note", Text),
    Index("ix_items_code", "code"),
)
"""


@pytest.fixture(params=["postgresql", "mysql"])
def server_url(request: pytest.FixtureRequest):
    return request.getfixturevalue(f"{request.param}_url")


def test_failure_midway_reports_what_ran(server_url, tmp_path, run_cli, writable_engine):
    engine = writable_engine(server_url)
    metadata = MetaData()
    Table(
        "items",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("amount", BigInteger),
        Column("code", String(20)),
    )
    build(engine, metadata, {"items": [{"id": 1, "amount": 100_000, "code": "A"}]})
    models = write_models(tmp_path, MIDWAY_MODELS)

    result = run_cli(
        "fix", "--models", models, "--db", server_url, "--apply", "--yes", "--allow-destructive"
    )

    assert result.exit_code == 2, result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert "Statement 2 of 3" in error
    indexes = [index["name"] for index in inspect(engine).get_indexes("items")]
    assert "ix_items_code" not in indexes
    if server_url.startswith("mysql"):
        assert "ran: ALTER TABLE items ADD COLUMN note TEXT" in result.stderr
        assert "not run: ALTER TABLE items MODIFY amount SMALLINT" in result.stderr
        assert "not run: CREATE INDEX ix_items_code ON items (code)" in result.stderr
        assert "MySQL commits each DDL statement" in error
        assert "note" in _columns(engine, "items")
    else:
        assert "ran:" not in result.stderr
        assert "the database is unchanged" in error
        assert "note" not in _columns(engine, "items")


def test_new_enum_label_used_by_the_plan_is_committed_first(
    postgresql_url, tmp_path, run_cli, writable_engine
):
    engine = writable_engine(postgresql_url)
    metadata = MetaData()
    Table(
        "boxes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("size", Enum("small", "large", name="box_size")),
    )
    build(engine, metadata, {"boxes": [{"id": 1, "size": "large"}]})
    models = write_models(
        tmp_path,
        """
        from sqlalchemy import BigInteger, Column, Enum, Integer, MetaData, Table

        metadata = MetaData()
        size = Enum("small", "medium", "large", name="box_size")
        Table("boxes", metadata, Column("id", Integer, primary_key=True),
              Column("size", size),
              Column("wanted", size, nullable=False, server_default="medium"))
        """,
    )

    planned = run_cli("fix", "--models", models, "--db", postgresql_url)
    applied = run_cli("fix", "--models", models, "--db", postgresql_url, "--apply", "--yes")
    after = run_cli("check", "--models", models, "--db", postgresql_url)

    script = planned.stdout
    assert "ALTER TYPE box_size ADD VALUE IF NOT EXISTS 'medium' BEFORE 'large'" in script
    assert script.index("ADD VALUE") < script.index("BEGIN;")
    assert applied.exit_code == 0, applied.stderr
    assert after.exit_code == 0, after.stdout
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT size::text, wanted::text FROM boxes")).all()
    assert [tuple(row) for row in rows] == [("large", "medium")]


def test_concurrently_builds_the_index_after_the_transaction(
    postgresql_url, tmp_path, run_cli, writable_engine
):
    engine = writable_engine(postgresql_url)
    metadata = MetaData()
    Table("docs", metadata, Column("id", Integer, primary_key=True), Column("slug", String(40)))
    build(engine, metadata, {"docs": [{"id": 1, "slug": "a"}, {"id": 2, "slug": "b"}]})
    models = write_models(
        tmp_path,
        """
        from sqlalchemy import Column, Integer, MetaData, String, Table

        metadata = MetaData()
        Table("docs", metadata, Column("id", Integer, primary_key=True),
              Column("slug", String(40), unique=True, index=True),
              Column("title", String(80)))
        """,
    )

    with engine.begin() as connection:
        # Make the table look big to the planner without writing a million rows.
        connection.execute(text("UPDATE pg_class SET reltuples = 1000000 WHERE relname = 'docs'"))
    warned = run_cli("fix", "--models", models, "--db", postgresql_url)
    planned = run_cli("fix", "--models", models, "--db", postgresql_url, "--concurrently")
    applied = run_cli(
        "fix", "--models", models, "--db", postgresql_url, "--concurrently", "--apply", "--yes"
    )
    after = run_cli("check", "--models", models, "--db", postgresql_url)

    assert "blocks writes to the table (about 1000000 rows) while it builds" in warned.stdout
    script = planned.stdout
    assert "CREATE UNIQUE INDEX CONCURRENTLY ix_docs_slug ON docs (slug);" in script
    assert script.index("COMMIT;") < script.index("CONCURRENTLY")
    assert applied.exit_code == 0, applied.stderr
    assert after.exit_code == 0, after.stdout

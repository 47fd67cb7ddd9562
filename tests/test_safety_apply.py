"""Faults mid-apply: the connection of a running ``fix --apply`` is killed between statements.

Two tables each miss a column, so the fix has two ALTER TABLE statements. Another session
reads the table of the second one in an open transaction, so that statement queues for its
lock after the first one ran; then the apply's session is killed from a third session.
PostgreSQL applies in one transaction: nothing may be applied. MariaDB commits each DDL
statement: the first column is there, and the error lists what ran and what did not.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, text

from safety_support import (
    HARD_LIMIT,
    admin_engine,
    database_name,
    run_cli_process,
    session_holding,
    start_cli_process,
    wait_for,
)
from schemadoctor.api import check

MODELS = """
from sqlalchemy import Column, Integer, MetaData, Table

metadata = MetaData()
Table("alpha", metadata, Column("id", Integer, primary_key=True), Column("alpha_new", Integer))
Table("beta", metadata, Column("id", Integer, primary_key=True), Column("beta_new", Integer))
"""


def _drifted(url: str, writable_engine, tmp_path) -> tuple[str, MetaData, list[str]]:
    """The models file, the models, and the tables in the order the fix alters them."""
    path = tmp_path / "apply_models.py"
    path.write_text(MODELS, encoding="utf-8")
    old = MetaData()
    for name in ("alpha", "beta"):
        Table(name, old, Column("id", Integer, primary_key=True))
    engine = writable_engine(url)
    old.create_all(engine)
    with engine.begin() as connection:
        for name in ("alpha", "beta"):
            connection.execute(text(f"INSERT INTO {name} (id) VALUES (1)"))

    shown = run_cli_process("fix", "--models", str(path), "--db", url)
    altered = re.findall(r"ALTER TABLE [`\"]?(alpha|beta)", shown.stdout)
    assert sorted(altered) == ["alpha", "beta"], shown.stdout + shown.stderr
    namespace: dict[str, object] = {}
    exec(MODELS, namespace)  # the same models, in this process, for the check afterwards
    models = namespace["metadata"]
    assert isinstance(models, MetaData)
    return str(path), models, altered


def _missing(url: str, models: MetaData) -> list[str]:
    return sorted(f"{f.table}.{f.column}" for f in check(models, url).findings)


def _postgresql_blocked_alter(url: str) -> int | None:
    with admin_engine(url).connect() as admin:
        return admin.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :name "
                "AND wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE%'"
            ),
            {"name": database_name(url)},
        ).scalar()


@pytest.mark.postgresql
def test_postgresql_apply_killed_midway_applies_nothing(postgresql_url, writable_engine, tmp_path):
    models_path, models, altered = _drifted(postgresql_url, writable_engine, tmp_path)
    second = altered[1]

    with session_holding(postgresql_url, f"SELECT * FROM {second}"):
        process = start_cli_process(
            "fix", "--models", models_path, "--db", postgresql_url,
            "--apply", "--yes", "--lock-timeout", "60",
        )  # fmt: skip
        pid = wait_for(lambda: _postgresql_blocked_alter(postgresql_url))
        with admin_engine(postgresql_url).connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        _, stderr = process.communicate(timeout=HARD_LIMIT)

    assert process.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert "rolled back" in stderr, stderr
    for table in altered:
        assert re.search(rf"^not run: ALTER TABLE \"?{table}", stderr, re.MULTILINE), stderr
    assert _missing(postgresql_url, models) == ["alpha.alpha_new", "beta.beta_new"]
    with admin_engine(postgresql_url).connect() as admin:
        assert admin.exec_driver_sql(f"SELECT count(*) FROM {altered[0]}").scalar_one() == 1


def _mysql_blocked_alter(url: str) -> int | None:
    with admin_engine(url).connect() as admin:
        return admin.execute(
            text(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = :name "
                "AND STATE LIKE 'Waiting for table metadata lock%' AND INFO LIKE 'ALTER TABLE%'"
            ),
            {"name": database_name(url)},
        ).scalar()


@pytest.mark.mysql
def test_mysql_apply_killed_midway_reports_what_ran(mysql_url, writable_engine, tmp_path):
    models_path, models, altered = _drifted(mysql_url, writable_engine, tmp_path)
    first, second = altered

    with session_holding(mysql_url, f"SELECT * FROM {second}"):
        process = start_cli_process(
            "fix", "--models", models_path, "--db", mysql_url,
            "--apply", "--yes", "--lock-timeout", "60",
        )  # fmt: skip
        session_id = wait_for(lambda: _mysql_blocked_alter(mysql_url))
        with admin_engine(mysql_url).connect() as admin:
            admin.exec_driver_sql(f"KILL {int(session_id)}")
        _, stderr = process.communicate(timeout=HARD_LIMIT)

    assert process.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert re.search(rf"^ran: ALTER TABLE `?{first}", stderr, re.MULTILINE), stderr
    assert re.search(rf"^not run: ALTER TABLE `?{second}", stderr, re.MULTILINE), stderr
    assert _missing(mysql_url, models) == [f"{second}.{second}_new"]

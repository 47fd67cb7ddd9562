"""``check --probe``: the query the application would run, on every mapped table."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from doctor_support import MODELS, build_one_behind, upgrade
from schemadoctor.connect import parse_url


def _probe(run_cli, url, *args):
    result = run_cli("check", "--models", MODELS, "--db", url, "--probe", *args)
    return result


def test_probe_reports_the_database_error_for_the_missing_column(db_url, run_cli):
    build_one_behind(db_url)

    result = _probe(run_cli, db_url, "--format", "json")

    assert result.exit_code == 1, result.stderr
    probes = {p["table"]: p for p in json.loads(result.stdout)["probes"]}
    assert sorted(probes) == ["conversations", "messages", "users"]
    assert probes["users"]["ok"] and probes["messages"]["ok"]
    failed = probes["conversations"]
    assert failed["ok"] is False
    assert failed["problem"] == "missing_object"
    assert "workflow_config" in failed["error"]
    assert "workflow_config" in failed["sql"]


def test_probe_text_shows_the_error_and_passes_after_the_upgrade(db_url, run_cli):
    build_one_behind(db_url)

    before = _probe(run_cli, db_url)

    assert "probe: 2 of 3 tables answered" in before.stdout
    assert "FAILED   " in before.stdout
    assert "1 failed probe" in before.stdout

    upgrade(db_url)
    after = _probe(run_cli, db_url)

    assert after.exit_code == 0, after.stdout
    assert "probe: 3 of 3 tables answered" in after.stdout


def test_probe_reports_a_permission_error_for_the_role_on_postgresql(postgresql_url, run_cli):
    build_one_behind(postgresql_url)
    upgrade(postgresql_url)
    role = f"sd_reader_{uuid.uuid4().hex[:8]}"
    database = make_url(postgresql_url).database
    admin = create_engine(parse_url(postgresql_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        connection.execute(text(f"GRANT SELECT ON users, conversations, alembic_version TO {role}"))
    reader_url = make_url(postgresql_url).set(username=role).render_as_string(False)
    try:
        result = _probe(run_cli, reader_url, "--format", "json")
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE usename = :role AND datname = :database"
                ),
                {"role": role, "database": database},
            )
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
        admin.dispose()

    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["findings"] == []
    probes = {p["table"]: p for p in report["probes"]}
    assert probes["messages"]["problem"] == "permission_denied"
    assert probes["messages"]["error"] == "permission denied for table messages"
    assert probes["users"]["ok"] and probes["conversations"]["ok"]


def test_probe_reports_a_permission_error_for_the_user_on_mariadb(mysql_url, run_cli):
    build_one_behind(mysql_url)
    upgrade(mysql_url)
    user = f"sd_reader_{uuid.uuid4().hex[:8]}"
    database = make_url(mysql_url).database
    admin = create_engine(parse_url(mysql_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE USER '{user}'@'%'"))
        for table in ("users", "conversations", "alembic_version"):
            connection.execute(text(f"GRANT SELECT ON `{database}`.`{table}` TO '{user}'@'%'"))
    reader_url = make_url(mysql_url).set(username=user).render_as_string(False)
    try:
        result = _probe(run_cli, reader_url, "--format", "json")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP USER '{user}'@'%'"))
        admin.dispose()

    assert result.exit_code == 1, result.stderr
    probes = {p["table"]: p for p in json.loads(result.stdout)["probes"]}
    assert probes["messages"]["problem"] == "permission_denied"
    assert "SELECT command denied" in probes["messages"]["error"]
    assert probes["users"]["ok"] and probes["conversations"]["ok"]

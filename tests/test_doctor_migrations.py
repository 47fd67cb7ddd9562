"""Migration states: at head, behind, unknown revision, several heads, never stamped, none."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import text

from doctor_support import (
    ALEMBIC_INI,
    HEAD,
    MODELS,
    ONE_BEHIND,
    ROOT,
    build_one_behind,
    copy_project,
    upgrade,
    write_revision,
)


def _report(run_cli, url, *args):
    result = run_cli("check", "--models", MODELS, "--db", url, "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    return result, json.loads(result.stdout)


def test_unknown_revision_is_reported_and_the_check_still_runs(db_url, run_cli, writable_engine):
    build_one_behind(db_url)
    upgrade(db_url)
    with writable_engine(db_url).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0badc0ffee00'"))
        connection.execute(text("ALTER TABLE conversations ADD COLUMN archived_at INTEGER"))

    _, report = _report(run_cli, db_url, "--alembic-config", ALEMBIC_INI)

    assert report["migrations"]["status"] == "unknown_revision"
    assert report["migrations"]["database_revisions"] == ["0badc0ffee00"]
    assert "rollback" in report["migrations"]["message"]
    [finding] = report["findings"]
    assert (finding["kind"], finding["column"]) == ("extra_column", "archived_at")
    assert finding["cause"] == "unknown"
    assert "0badc0ffee00" in finding["cause_detail"]

    text_result = run_cli(
        "check", "--models", MODELS, "--db", db_url, "--alembic-config", ALEMBIC_INI
    )
    assert "migrations: The database is at revision 0badc0ffee00, which the migration" in (
        text_result.stdout
    )


def test_several_heads_list_every_pending_revision(db_url, run_cli, tmp_path):
    ini = copy_project(tmp_path)
    write_revision(ini, "b1b1b1b1b1b1", ONE_BEHIND, "pass", "a branch that changes nothing")
    build_one_behind(db_url)

    result, report = _report(run_cli, db_url, "--alembic-config", str(ini))

    migrations = report["migrations"]
    assert migrations["status"] == "several_heads"
    assert migrations["heads"] == sorted(["b1b1b1b1b1b1", HEAD])
    assert sorted(p["revision"] for p in migrations["pending"]) == sorted(["b1b1b1b1b1b1", HEAD])
    assert "alembic merge heads" in migrations["message"]
    [finding] = report["findings"]
    assert finding["cause"] == "pending_migration"
    assert "alembic upgrade heads" in finding["cause_detail"]
    assert result.exit_code == 1


def test_never_stamped_database_is_reported_and_its_drift_is_out_of_band(db_url, run_cli):
    script = ROOT / "examples" / "chat" / "make_database.py"
    subprocess.run([sys.executable, str(script), db_url], check=True, capture_output=True)

    result, report = _report(run_cli, db_url, "--alembic-config", ALEMBIC_INI)

    assert report["migrations"]["status"] == "never_stamped"
    assert "alembic stamp head" in report["migrations"]["message"]
    [finding] = report["findings"]
    assert finding["column"] == "workflow_config"
    assert finding["cause"] == "out_of_band"
    assert "never stamped" in finding["cause_detail"]
    assert result.exit_code == 1


def test_no_alembic_leaves_the_report_as_it_was(db_url, run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    build_one_behind(db_url)

    result, report = _report(run_cli, db_url)

    assert result.exit_code == 1
    assert "migrations" not in report
    [finding] = report["findings"]
    assert (finding["column"], finding["cause"], finding["cause_detail"]) == (
        "workflow_config",
        None,
        None,
    )
    text_result = run_cli("check", "--models", MODELS, "--db", db_url)
    assert "migrations:" not in text_result.stdout
    assert "cause:" not in text_result.stdout


def test_alembic_ini_in_the_current_directory_is_found(sqlite_url, run_cli, monkeypatch):
    monkeypatch.chdir(ROOT / "examples" / "chat_alembic")
    build_one_behind(sqlite_url)

    _, report = _report(run_cli, sqlite_url)

    assert report["migrations"]["config"] == "alembic.ini"
    assert report["migrations"]["status"] == "behind"
    assert report["findings"][0]["cause"] == "pending_migration"
    assert "migrations/versions/" in report["findings"][0]["cause_detail"]


def test_a_missing_alembic_config_is_a_configuration_error(sqlite_url, run_cli, tmp_path):
    build_one_behind(sqlite_url)

    result = run_cli(
        "check", "--models", MODELS, "--db", sqlite_url, "--alembic-config", str(tmp_path / "x.ini")
    )

    assert result.exit_code == 2
    assert "does not exist; check --alembic-config" in result.stderr
    assert result.stdout == ""


def test_alembic_config_from_the_schemadoctor_configuration(
    sqlite_url, run_cli, tmp_path, monkeypatch
):
    (tmp_path / "schemadoctor.toml").write_text(
        f'models = ["{MODELS}"]\nalembic-config = "{ALEMBIC_INI}"\n'
    )
    monkeypatch.chdir(tmp_path)
    build_one_behind(sqlite_url)

    check = run_cli("check", "--db", sqlite_url)
    explain = run_cli(
        "explain", "no such column: conversations.workflow_config", "--db", sqlite_url
    )

    assert check.exit_code == 1, check.stderr
    assert "cause: fixed by a pending migration" in check.stdout
    assert explain.exit_code == 1, explain.stderr
    assert "fix:        alembic upgrade head" in explain.stdout


def test_two_behind_lists_the_pending_revisions_oldest_first(db_url, run_cli):
    upgrade(db_url, "3c1d2b7f9a10")

    _, report = _report(run_cli, db_url, "--alembic-config", ALEMBIC_INI)

    pending = report["migrations"]["pending"]
    assert [(p["revision"], p["message"]) for p in pending] == [
        (ONE_BEHIND, "create conversations and messages"),
        (HEAD, "add workflow_config column to conversations"),
    ]
    causes = {(f["kind"], f["table"]): f["cause_detail"] for f in report["findings"]}
    assert sorted(causes) == [("missing_table", "conversations"), ("missing_table", "messages")]
    for detail in causes.values():
        assert detail.startswith(f"revision {ONE_BEHIND} (create conversations and messages)")

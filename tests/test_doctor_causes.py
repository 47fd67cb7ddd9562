"""Each finding's cause: pending migration, missing migration, out of band, unknown."""

from __future__ import annotations

import json

from sqlalchemy import text

from doctor_support import (
    ALEMBIC_INI,
    HEAD,
    HEAD_FILE,
    MODELS,
    ONE_BEHIND,
    alembic,
    build_one_behind,
    changed_models,
    copy_project,
    upgrade,
    write_revision,
)


def _check(run_cli, url, *args, models=MODELS, ini=ALEMBIC_INI):
    result = run_cli("check", "--models", models, "--db", url, "--alembic-config", str(ini), *args)
    return result


def _json(run_cli, url, *args, **kw):
    result = _check(run_cli, url, "--format", "json", *args, **kw)
    assert result.exit_code in (0, 1), result.stderr
    return result, json.loads(result.stdout)


def _by_subject(report):
    return {(f["table"], f["column"] or f["name"]): f for f in report["findings"]}


def test_behind_by_one_names_the_pending_revision(db_url, run_cli):
    build_one_behind(db_url)

    result = _check(run_cli, db_url)

    assert result.exit_code == 1, result.stderr
    assert f"pending {HEAD}  add workflow_config column to conversations" in result.stdout
    cause_lines = [line.strip() for line in result.stdout.splitlines() if "cause:" in line]
    assert len(cause_lines) == 1
    assert cause_lines[0].startswith("cause: fixed by a pending migration: revision " + HEAD)
    assert HEAD_FILE in cause_lines[0]
    assert "run `alembic upgrade head`" in cause_lines[0]


def test_behind_by_one_in_json_then_in_sync_after_a_real_upgrade(db_url, run_cli):
    build_one_behind(db_url)

    _, report = _json(run_cli, db_url)

    assert report["migrations"]["status"] == "behind"
    assert report["migrations"]["database_revisions"] == [ONE_BEHIND]
    assert [p["revision"] for p in report["migrations"]["pending"]] == [HEAD]
    [finding] = report["findings"]
    assert (finding["kind"], finding["column"]) == ("missing_column", "workflow_config")
    assert finding["cause"] == "pending_migration"
    assert HEAD_FILE in finding["cause_detail"]

    alembic(db_url, "upgrade", "head")
    result, report = _json(run_cli, db_url)

    assert result.exit_code == 0
    assert report["findings"] == []
    assert report["migrations"]["status"] == "at_head"


def test_out_of_band_and_model_change_are_told_apart(db_url, run_cli, writable_engine, tmp_path):
    build_one_behind(db_url)
    with writable_engine(db_url).begin() as connection:
        connection.execute(text("ALTER TABLE users DROP COLUMN display_name"))

    _, report = _json(run_cli, db_url, models=changed_models(tmp_path))
    causes = {subject: f["cause"] for subject, f in _by_subject(report).items()}

    assert causes == {
        ("conversations", "archived_at"): "missing_migration",
        ("conversations", "workflow_config"): "pending_migration",
        ("users", "display_name"): "out_of_band",
    }
    findings = _by_subject(report)
    assert (
        "schemadoctor fix --format alembic"
        in findings[("conversations", "archived_at")]["cause_detail"]
    )
    assert "outside the migrations" in findings[("users", "display_name")]["cause_detail"]
    hints = {subject: f["hint"] for subject, f in findings.items()}
    assert hints[("conversations", "archived_at")].startswith("Write the migration that")
    assert hints[("conversations", "workflow_config")].startswith("Run `alembic upgrade head`")
    assert "removed by hand" in hints[("users", "display_name")]


def test_column_added_by_hand_at_head_is_out_of_band(db_url, run_cli, writable_engine):
    build_one_behind(db_url)
    upgrade(db_url)
    with writable_engine(db_url).begin() as connection:
        connection.execute(text("ALTER TABLE users ADD COLUMN nickname VARCHAR(40)"))

    _, report = _json(run_cli, db_url)

    [finding] = report["findings"]
    assert (finding["kind"], finding["column"]) == ("extra_column", "nickname")
    assert finding["cause"] == "out_of_band"


def test_raw_sql_in_a_pending_revision_makes_the_cause_unknown(sqlite_url, run_cli, tmp_path):
    ini = copy_project(tmp_path)
    (ini.parent / "migrations" / "versions" / HEAD_FILE).unlink()
    write_revision(
        ini,
        "0f0f0f0f0f0f",
        ONE_BEHIND,
        'op.execute("ALTER TABLE conversations ADD COLUMN workflow_config JSON")',
        "add workflow_config by raw SQL",
    )
    build_one_behind(sqlite_url)

    _, report = _json(run_cli, sqlite_url, ini=ini)

    [finding] = report["findings"]
    assert finding["cause"] == "unknown"
    assert "0f0f0f0f0f0f" in finding["cause_detail"]
    assert "raw SQL on conversations" in finding["cause_detail"]


def test_a_migration_that_fails_to_replay_gives_unknown_with_the_reason(
    sqlite_url, run_cli, tmp_path
):
    ini = copy_project(tmp_path)
    (ini.parent / "migrations" / "versions" / HEAD_FILE).unlink()
    write_revision(
        ini,
        "0e0e0e0e0e0e",
        ONE_BEHIND,
        'op.add_column("no_such_table", sa.Column("x", sa.Integer()))',
        "change a table that does not exist",
    )
    build_one_behind(sqlite_url)

    _, report = _json(run_cli, sqlite_url, ini=ini)

    [finding] = report["findings"]
    assert finding["cause"] == "unknown"
    assert "0e0e0e0e0e0e" in finding["cause_detail"]
    assert "no_such_table" in finding["cause_detail"]


def test_every_drifted_tenant_schema_is_diagnosed_against_its_own_version_table(
    postgresql_url, run_cli, writable_engine
):
    # Schema-per-tenant: each tenant holds its tables and its alembic_version, reached through
    # the search_path; tenant_a is at head, tenant_b one behind, tenant_c lost a column by hand.
    with writable_engine(postgresql_url).begin() as connection:
        for tenant in ("tenant_a", "tenant_b", "tenant_c"):
            connection.execute(text(f"CREATE SCHEMA {tenant}"))
    for tenant in ("tenant_a", "tenant_b", "tenant_c"):
        tenant_url = f"{postgresql_url}?options=-csearch_path%3D{tenant}"
        build_one_behind(tenant_url)
        if tenant != "tenant_b":
            upgrade(tenant_url)
    with writable_engine(postgresql_url).begin() as connection:
        connection.execute(text("ALTER TABLE tenant_c.users DROP COLUMN display_name"))

    _, report = _json(run_cli, postgresql_url, "--schema", "tenant_*")

    causes = {(f["schema"], f["column"]): f["cause"] for f in report["findings"]}
    assert causes == {
        ("tenant_b", "workflow_config"): "pending_migration",
        ("tenant_c", "display_name"): "out_of_band",
    }
    assert report["schemas"] == ["tenant_a", "tenant_b", "tenant_c"]
    assert report["migrations"]["status"] == "at_head"
    further = report["schema_migrations"]
    assert sorted(further) == ["tenant_b", "tenant_c"]
    assert further["tenant_b"]["status"] == "behind"
    assert [p["revision"] for p in further["tenant_b"]["pending"]] == [HEAD]
    assert further["tenant_c"]["status"] == "at_head"

    output = _check(run_cli, postgresql_url, "--schema", "tenant_*").stdout
    heading = output.index("schema tenant_b: 1 finding")
    assert output[heading:].splitlines()[1].startswith("migrations: The database is at ")

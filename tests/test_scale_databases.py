"""Several databases (shards) checked against the same models in one run."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
MODELS = str(ROOT / "examples" / "chat" / "models.py")


def _shard(url: str, writable_engine, drop_column: str | None = None) -> None:
    """A database built from the chat models; ``drop_column`` (table.column) removed after."""
    from schemadoctor.load import load_models

    metadata = load_models([MODELS]).metadata[0]
    engine = writable_engine(url)
    metadata.create_all(engine)
    if drop_column:
        table, column = drop_column.split(".")
        with engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))


def _sqlite_file(tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.db"
    path.touch()
    return f"sqlite:///{path}"


def test_one_drifted_shard_of_two_fails_and_is_named(tmp_path, writable_engine, run_cli):
    healthy, drifted = _sqlite_file(tmp_path, "shard_a"), _sqlite_file(tmp_path, "shard_b")
    _shard(healthy, writable_engine)
    _shard(drifted, writable_engine, drop_column="messages.token_count")

    result = run_cli("check", "--models", MODELS, "--db", healthy, "--db", drifted)

    assert result.exit_code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert f"1 of 2 databases in sync; drift in {drifted}." in lines
    assert "0 errors, 0 warnings, 0 info: in sync (fail-on warning)." in lines
    assert "messages" in result.stdout and "token_count" in result.stdout


def test_json_holds_one_report_per_database_in_order(tmp_path, writable_engine, run_cli):
    healthy, drifted = _sqlite_file(tmp_path, "shard_a"), _sqlite_file(tmp_path, "shard_b")
    _shard(healthy, writable_engine)
    _shard(drifted, writable_engine, drop_column="users.display_name")

    result = run_cli(
        *("check", "--models", MODELS, "--format", "json", "--jobs", "2"),
        *("--db", drifted, "--db", healthy),
    )

    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [report["database"]["url"] for report in data["databases"]] == [drifted, healthy]
    assert [report["in_sync"] for report in data["databases"]] == [False, True]
    findings = data["databases"][0]["findings"]
    assert [(f["kind"], f["table"], f["column"]) for f in findings] == [
        ("missing_column", "users", "display_name")
    ]
    assert data["in_sync"] is False
    assert data["exit_code"] == 1
    assert data["database_summary"] == {"checked": 2, "in_sync": 1, "drifted": [drifted]}


def test_all_shards_in_sync_exit_zero(tmp_path, writable_engine, run_cli):
    urls = [_sqlite_file(tmp_path, f"shard_{n}") for n in range(3)]
    for url in urls:
        _shard(url, writable_engine)

    result = run_cli("check", "--models", MODELS, *[a for url in urls for a in ("--db", url)])

    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "3 of 3 databases in sync."


def test_an_unreachable_shard_stops_the_run_with_a_sentence(tmp_path, writable_engine, run_cli):
    healthy = _sqlite_file(tmp_path, "shard_a")
    _shard(healthy, writable_engine)
    missing = f"sqlite:///{tmp_path / 'absent.db'}"

    result = run_cli("check", "--models", MODELS, "--db", healthy, "--db", missing)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "absent.db" in result.stderr and "does not exist" in result.stderr

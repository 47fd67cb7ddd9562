"""Round trips over the wide type matrix: fix --apply builds what is missing, check finds nothing.

From an empty database (every table created) and from tables that hold only their primary key
(every column, index, unique constraint and foreign key added to existing tables).
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import text

from compare_models import POSTGRESQL_SETUP, roundtrip_metadata

MODELS = Path(__file__).resolve().parent / "compare_models.py"


def _dialect(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


def _prepare(url: str, writable_engine) -> sa.engine.Engine:
    engine = writable_engine(url)
    if _dialect(url) == "postgresql":
        with engine.begin() as connection:
            for statement in POSTGRESQL_SETUP:
                connection.execute(text(statement))
    return engine


def _findings(run_cli, target: str, url: str) -> list[str]:
    result = run_cli("check", "--models", target, "--db", url, "--format", "json", "--fail-on",
                     "info")  # fmt: skip
    return [
        f"{f['kind']} {f['table']}.{f['column'] or f['name']}"
        for f in json.loads(result.stdout)["findings"]
    ]


def test_fix_creates_every_table_of_the_type_matrix(db_url, writable_engine, run_cli):
    _prepare(db_url, writable_engine)
    target = f"{MODELS}:{_dialect(db_url)}_models"

    fixed = run_cli("fix", "--models", target, "--db", db_url, "--apply", "--yes")

    assert fixed.exit_code == 0, fixed.stderr + fixed.stdout
    assert _findings(run_cli, target, db_url) == []


def _primary_keys_only(metadata: sa.MetaData) -> sa.MetaData:
    bare = sa.MetaData()
    for table in metadata.sorted_tables:
        kept = list(table.primary_key.columns) or list(table.columns)[:1]
        columns = [
            sa.Column(c.name, c.type, primary_key=c.primary_key, autoincrement=c.autoincrement)
            for c in kept
        ]
        sa.Table(table.name, bare, *columns, schema=table.schema)
    return bare


def test_fix_adds_every_column_index_and_key_of_the_type_matrix(db_url, writable_engine, run_cli):
    engine = _prepare(db_url, writable_engine)
    dialect = _dialect(db_url)
    _primary_keys_only(roundtrip_metadata(dialect)).create_all(engine)
    target = f"{MODELS}:{dialect}_models"

    fixed = run_cli("fix", "--models", target, "--db", db_url, "--apply", "--yes",
                    "--fail-on", "info")  # fmt: skip

    assert fixed.exit_code == 0, fixed.stderr + fixed.stdout
    assert _findings(run_cli, target, db_url) == []

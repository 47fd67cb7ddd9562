"""Hostile models: a models module that prints, raises, exits or is slow to import, and models
with thousands of tables or a thousand columns in one table.

Each models module is written to a file and loaded by the real CLI in its own process, so
that prints to file descriptor 1 and sys.exit are real.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from safety_support import assert_no_traceback, run_cli_process

THINGS = """
from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()
Table("things", metadata, Column("id", Integer, primary_key=True), Column("name", String(20)))
"""


def _models_file(tmp_path: Path, source: str) -> str:
    path = tmp_path / f"models_{uuid.uuid4().hex[:8]}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return str(path)


def _things_database(writable_engine, url: str) -> None:
    """The things table without its name column: one finding, missing_column things.name."""
    metadata = MetaData()
    Table("things", metadata, Column("id", Integer, primary_key=True))
    metadata.create_all(writable_engine(url))


def _findings(stdout: str) -> list[tuple[str, str, str | None]]:
    return [(f["kind"], f["table"], f["column"]) for f in json.loads(stdout)["findings"]]


def test_models_that_print_keep_stdout_clean(sqlite_url, writable_engine, tmp_path):
    _things_database(writable_engine, sqlite_url)
    models = _models_file(
        tmp_path,
        "import os, sys\n"
        "print('print from the models')\n"
        "sys.stdout.write('sys.stdout.write from the models\\n')\n"
        "os.write(1, b'os.write(1) from the models\\n')\n" + THINGS,
    )

    outcome = run_cli_process("check", "--models", models, "--db", sqlite_url, "--format", "json")

    assert outcome.exit_code == 1, outcome.stderr
    assert _findings(outcome.stdout) == [("missing_column", "things", "name")]
    assert "print from the models" in outcome.stderr
    assert "os.write(1) from the models" in outcome.stderr


@pytest.mark.parametrize(
    ("prelude", "sentence"),
    [
        ("raise RuntimeError('the models are broken')", "RuntimeError: the models are broken"),
        ("import sys; sys.exit(3)", "sys.exit(3)"),
        ("import sys; sys.exit(0)", "sys.exit(0)"),
        ("import no_such_module_for_safety", "no_such_module_for_safety"),
        ("1 / 0", "ZeroDivisionError"),
        ("raise KeyboardInterrupt", "interrupted"),
    ],
)
def test_models_that_fail_to_import_fail_in_one_sentence(sqlite_url, tmp_path, prelude, sentence):
    models = _models_file(tmp_path, prelude + "\n" + THINGS)

    outcome = run_cli_process("check", "--models", models, "--db", sqlite_url, "--format", "json")

    assert outcome.exit_code == 2, (outcome.stdout, outcome.stderr)
    assert outcome.stdout == ""
    assert outcome.stderr.startswith("error: "), outcome.stderr
    assert sentence in outcome.stderr
    assert_no_traceback(outcome)


def test_models_that_are_slow_to_import_still_work(sqlite_url, writable_engine, tmp_path):
    _things_database(writable_engine, sqlite_url)
    models = _models_file(tmp_path, "import time; time.sleep(2)\n" + THINGS)

    outcome = run_cli_process("check", "--models", models, "--db", sqlite_url, "--format", "json")

    assert outcome.exit_code == 1, outcome.stderr
    assert outcome.elapsed >= 2
    assert _findings(outcome.stdout) == [("missing_column", "things", "name")]


TABLE_COUNT = 2000


def _create_in_one_script(metadata: MetaData, url: str) -> None:
    """The DDL compiled by SQLAlchemy, run as one script: seconds instead of a minute."""
    dialect = sqlite_dialect.dialect()
    script = []
    for table in metadata.sorted_tables:
        script.append(f"{CreateTable(table).compile(dialect=dialect)};")
        script.extend(f"{CreateIndex(index).compile(dialect=dialect)};" for index in table.indexes)
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    connection.executescript("BEGIN;\n" + "\n".join(script) + "\nCOMMIT;")
    connection.close()


def test_two_thousand_tables(sqlite_url, tmp_path):
    models = _models_file(
        tmp_path,
        f"""
        from sqlalchemy import Column, Integer, MetaData, String, Table

        metadata = MetaData()
        for number in range({TABLE_COUNT}):
            Table(
                f"table_{{number:04d}}",
                metadata,
                Column("id", Integer, primary_key=True),
                Column("name", String(20), index=True),
                Column("size", Integer),
            )
        """,
    )
    metadata = MetaData()
    for number in range(TABLE_COUNT):
        columns = [Column("id", Integer, primary_key=True), Column("name", String(20), index=True)]
        if number != 1234:
            columns.append(Column("size", Integer))
        Table(f"table_{number:04d}", metadata, *columns)
    _create_in_one_script(metadata, sqlite_url)

    outcome = run_cli_process("check", "--models", models, "--db", sqlite_url, "--format", "json")

    assert outcome.exit_code == 1, outcome.stderr
    assert _findings(outcome.stdout) == [("missing_column", "table_1234", "size")]
    print(f"check of {TABLE_COUNT} tables on SQLite: {outcome.elapsed:.1f} s")


COLUMN_COUNT = 1000  # MariaDB's InnoDB allows 1017 columns, PostgreSQL 1600, SQLite 2000


def test_a_table_with_a_thousand_columns(db_url, writable_engine, tmp_path):
    models = _models_file(
        tmp_path,
        f"""
        from sqlalchemy import Column, Integer, MetaData, Table

        metadata = MetaData()
        Table(
            "wide",
            metadata,
            Column("id", Integer, primary_key=True),
            *(Column(f"c{{number:04d}}", Integer) for number in range({COLUMN_COUNT - 1})),
        )
        """,
    )
    metadata = MetaData()
    Table(
        "wide",
        metadata,
        Column("id", Integer, primary_key=True),
        *(Column(f"c{number:04d}", Integer) for number in range(COLUMN_COUNT - 1) if number != 500),
    )
    metadata.create_all(writable_engine(db_url))

    outcome = run_cli_process("check", "--models", models, "--db", db_url, "--format", "json")

    assert outcome.exit_code == 1, outcome.stderr
    assert _findings(outcome.stdout) == [("missing_column", "wide", "c0500")]

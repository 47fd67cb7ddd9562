"""``schemadoctor explain`` on the real error texts of PostgreSQL, MariaDB and SQLite."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from doctor_support import ALEMBIC_INI, HEAD, MODELS, build_one_behind, upgrade
from schemadoctor.explain import parse_error

FAILING_QUERIES = {
    "qualified": "SELECT conversations.id, conversations.workflow_config FROM conversations",
    "aliased": "SELECT c.id, c.workflow_config FROM conversations AS c WHERE c.id = 1",
    "unqualified": "SELECT id, workflow_config FROM conversations",
    "insert": "INSERT INTO conversations (id, user_id, workflow_config) VALUES (9, 1, NULL)",
}


def _error_text(engine, sql: str, full: bool = True) -> str:
    with engine.connect() as connection:
        try:
            connection.execute(text(sql))
        except DBAPIError as error:
            return str(error) if full else str(error.orig)
    raise AssertionError(f"the query did not fail: {sql}")


def _explain(run_cli, url, error_text, *args):
    return run_cli(
        "explain",
        error_text,
        "--models",
        MODELS,
        "--db",
        url,
        "--alembic-config",
        ALEMBIC_INI,
        *args,
    )


def test_explain_the_missing_column_from_the_real_errors(db_url, run_cli, writable_engine):
    build_one_behind(db_url)
    engine = writable_engine(db_url)

    for form, query in FAILING_QUERIES.items():
        result = _explain(run_cli, db_url, _error_text(engine, query))

        assert result.exit_code == 1, (form, result.stderr)
        assert "subject:    conversations.workflow_config" in result.stdout, form
        assert "is in the models but not in the database" in result.stdout, form
        assert f"cause:      fixed by a pending migration: revision {HEAD}" in result.stdout
        assert "fix:        alembic upgrade head" in result.stdout, form


def test_explain_the_driver_message_alone(db_url, run_cli, writable_engine):
    build_one_behind(db_url)
    error_text = _error_text(writable_engine(db_url), FAILING_QUERIES["qualified"], full=False)

    result = _explain(run_cli, db_url, error_text, "--format", "json")

    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["confirmed"] is True
    [item] = data["explanations"]
    assert (item["table"], item["column"], item["cause"]) == (
        "conversations",
        "workflow_config",
        "pending_migration",
    )
    assert item["fix"] == "alembic upgrade head"


def test_explain_a_missing_table_dropped_by_hand(db_url, run_cli, writable_engine):
    build_one_behind(db_url)
    upgrade(db_url)
    engine = writable_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE messages"))
    error_text = _error_text(engine, "SELECT messages.id, messages.content FROM messages")

    result = _explain(run_cli, db_url, error_text, "--format", "json")

    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["error"]["kind"] == "missing_table"
    [item] = data["explanations"]
    assert item["table"] == "messages"
    assert item["finding"]["kind"] == "missing_table"
    assert item["cause"] == "out_of_band"


def test_explain_after_the_upgrade_says_the_database_has_the_column(
    db_url, run_cli, writable_engine
):
    build_one_behind(db_url)
    engine = writable_engine(db_url)
    error_text = _error_text(engine, FAILING_QUERIES["aliased"])
    upgrade(db_url)

    result = _explain(run_cli, db_url, error_text)

    assert result.exit_code == 0, result.stderr
    assert "This database has conversations.workflow_config as the models expect" in result.stdout


def test_explain_refuses_text_that_is_no_known_error(sqlite_url, run_cli):
    build_one_behind(sqlite_url)

    result = _explain(run_cli, sqlite_url, "something went wrong")

    assert result.exit_code == 2
    assert "not an error schemadoctor can explain" in result.stderr


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            'column "Conversations"."workflowConfig" does not exist',
            ("Conversations", "workflowConfig"),
        ),
        ("Unknown column '`c`.`workflow_config`' in 'field list'", ("c", "workflow_config")),
        ("no such column: [conversations].[workflow_config]", ("conversations", "workflow_config")),
        (
            'column "workflow_config" of relation "conversations" does not exist',
            (None, "workflow_config"),
        ),
        ("table main.conversations has no column named workflow_config", (None, "workflow_config")),
    ],
)
def test_quoted_and_qualified_names_are_unquoted(message, expected):
    reference = parse_error(message)

    assert (reference.qualifier, reference.column) == expected
    assert reference.kind == "missing_column"


def test_schema_qualified_missing_tables_keep_the_schema():
    postgresql = parse_error('relation "public.chat_messages" does not exist')
    mysql = parse_error("(1146, \"Table 'shop.chat_messages' doesn't exist\")")
    sqlite = parse_error("no such table: main.chat_messages")

    assert [(r.dialect, r.schema, r.table) for r in (postgresql, mysql, sqlite)] == [
        ("postgresql", "public", "chat_messages"),
        ("mysql", "shop", "chat_messages"),
        ("sqlite", "main", "chat_messages"),
    ]


def test_explain_reads_the_error_from_stdin(sqlite_url):
    from click.testing import CliRunner

    from schemadoctor.cli import main

    build_one_behind(sqlite_url)
    logged = "sqlite3.OperationalError: no such column: conversations.workflow_config\n"

    result = CliRunner().invoke(
        main,
        ["explain", "-", "--models", MODELS, "--db", sqlite_url, "--alembic-config", ALEMBIC_INI],
        input=logged,
        catch_exceptions=False,
    )

    assert result.exit_code == 1, result.stderr
    assert "fix:        alembic upgrade head" in result.stdout

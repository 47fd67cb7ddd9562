"""What fix plans: hazards checked against the data, quoting, confirmation, Alembic revisions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from fixdrift import build, read_rows, write_models
from schemadoctor.connect import parse_url

ROOT = Path(__file__).resolve().parent.parent
CHAT_MODELS = str(ROOT / "examples" / "chat" / "models.py")

HAZARD_MODELS = """
from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint

metadata = MetaData()
people = Table(
    "people", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(50), nullable=False),
    Column("nickname", String(20), unique=True),
    Column("age", Integer, nullable=False),
    Column("city", String(4)),
)
"""


def test_hazards_skip_what_would_fail(db_url, tmp_path, run_cli, writable_engine):
    engine = writable_engine(db_url)
    metadata = MetaData()
    Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(50), nullable=True),
        Column("nickname", String(20)),
        Column("city", String(50)),
    )
    rows = [
        {"id": 1, "email": None, "nickname": "al", "city": "Amsterdam"},
        {"id": 2, "email": None, "nickname": "al", "city": "Oslo"},
        {"id": 3, "email": "c@x", "nickname": None, "city": None},
    ]
    build(engine, metadata, {"people": rows})
    models = write_models(tmp_path, HAZARD_MODELS)

    result = run_cli(
        "fix", "--models", models, "--db", db_url, "--allow-destructive", "--apply", "--yes"
    )

    assert result.exit_code == 1, result.stderr
    assert "Nothing to apply." in result.stderr
    assert "the column is NOT NULL, the model gives it no server default" in result.stderr
    assert "2 rows hold NULL in email" in result.stderr
    assert "1 value(s) of (nickname) occur more than once" in result.stderr
    assert "1 row holds values longer than 4 characters in city" in result.stderr
    assert read_rows(engine, "people", ["id", "email", "nickname"]) == [
        (1, None, "al"),
        (2, None, "al"),
        (3, "c@x", None),
    ]


HOSTILE_MODELS = """
from sqlalchemy import Column, Index, Integer, MetaData, String, Table

metadata = MetaData()
weird = Table(
    'Wéird "Tab"le', metadata,
    Column("Id", Integer, primary_key=True),
    Column("Mixed Case%s", String(40)),
    Column("naïve'col", Integer, server_default="7"),
    Index("ix spaced ✓", "Mixed Case%s"),
)
"""


def test_hostile_identifiers_are_quoted(db_url, tmp_path, run_cli, writable_engine):
    engine = writable_engine(db_url)
    metadata = MetaData()
    Table(
        'Wéird "Tab"le',
        metadata,
        Column("Id", Integer, primary_key=True),
        Column("Mixed Case%s", String(20)),
    )
    build(engine, metadata, {'Wéird "Tab"le': [{"Id": 1, "Mixed Case%s": "50% off"}]})
    models = write_models(tmp_path, HOSTILE_MODELS)

    planned = run_cli("fix", "--models", models, "--db", db_url)
    applied = run_cli("fix", "--models", models, "--db", db_url, "--apply", "--yes")
    after = run_cli("check", "--models", models, "--db", db_url)

    quote = "`" if db_url.startswith("mysql") else '"'
    table = '`Wéird "Tab"le`' if quote == "`" else '"Wéird ""Tab""le"'
    assert f"ON {table} " in planned.stdout
    assert f"{quote}naïve'col{quote} INTEGER DEFAULT '7'" in planned.stdout
    assert f"CREATE INDEX {quote}ix spaced ✓{quote} ON {table}" in planned.stdout
    assert "%%" not in planned.stdout
    assert applied.exit_code == 0, applied.stderr + applied.stdout
    assert after.exit_code == 0, after.stdout
    assert read_rows(engine, 'Wéird "Tab"le', ["Id", "Mixed Case%s", "naïve'col"]) == [
        (1, "50% off", 7)
    ]


def _chat_database(url: str) -> None:
    script = ROOT / "examples" / "chat" / "make_database.py"
    subprocess.run([sys.executable, str(script), url], check=True, capture_output=True)


def test_apply_without_terminal_or_yes_refuses(sqlite_url, run_cli):
    _chat_database(sqlite_url)

    result = run_cli("fix", "--models", CHAT_MODELS, "--db", sqlite_url, "--apply")
    after = run_cli("check", "--models", CHAT_MODELS, "--db", sqlite_url)

    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert after.exit_code == 1


def test_chat_example_is_fixed_by_one_command(db_url, run_cli):
    _chat_database(db_url)

    fixed = run_cli("fix", "--models", CHAT_MODELS, "--db", db_url, "--apply", "--yes")
    again = run_cli("fix", "--models", CHAT_MODELS, "--db", db_url)

    assert fixed.exit_code == 0, fixed.stderr
    assert "workflow_config" in fixed.stderr
    assert "in sync" in fixed.stdout
    assert again.exit_code == 0
    assert "Nothing to do" in again.stdout


@pytest.fixture
def alembic_env(tmp_path: Path):
    """An Alembic environment in tmp_path with one empty baseline revision."""
    from alembic import command
    from alembic.config import Config

    ini = tmp_path / "alembic.ini"
    config = Config(str(ini))
    command.init(config, str(tmp_path / "migrations"))
    baseline = command.revision(Config(str(ini)), "baseline", rev_id="baseline01")
    assert baseline is not None
    return ini


def _alembic_config(ini: Path, url: str):
    from alembic.config import Config

    config = Config(str(ini))
    config.set_main_option("sqlalchemy.url", parse_url(url).render_as_string(False))
    return config


def test_alembic_revision_upgrades_and_downgrades(db_url, alembic_env, run_cli):
    from alembic import command

    _chat_database(db_url)
    config = _alembic_config(alembic_env, db_url)
    command.stamp(config, "head")
    revision = alembic_env.parent / "migrations" / "versions" / "fix_drift.py"

    written = run_cli(
        "fix", "--models", CHAT_MODELS, "--db", db_url, "--format", "alembic",
        "--alembic-config", str(alembic_env), "--output", str(revision),
    )  # fmt: skip
    command.upgrade(config, "head")
    fixed = run_cli("check", "--models", CHAT_MODELS, "--db", db_url)
    command.downgrade(config, "-1")
    reverted = run_cli("check", "--models", CHAT_MODELS, "--db", db_url)

    assert written.exit_code == 0, written.stderr
    source = revision.read_text()
    assert "down_revision = 'baseline01'" in source
    assert "op.add_column('conversations'" in source
    assert "op.drop_column('conversations', 'workflow_config')" in source
    assert fixed.exit_code == 0, fixed.stdout
    assert reverted.exit_code == 1
    assert "workflow_config" in reverted.stdout


def test_plan_orders_tables_before_their_foreign_keys(
    postgresql_url, tmp_path, run_cli, writable_engine
):
    engine = writable_engine(postgresql_url)
    metadata = MetaData()
    Table("z_parent_holder", metadata, Column("id", Integer, primary_key=True))
    build(engine, metadata, {})
    models = write_models(
        tmp_path,
        """
        import enum
        from sqlalchemy import Column, Enum, ForeignKey, Integer, MetaData, Table

        metadata = MetaData()
        Table("z_parent_holder", metadata, Column("id", Integer, primary_key=True))
        Table("a_child", metadata, Column("id", Integer, primary_key=True),
              Column("parent_id", ForeignKey("m_parent.id")),
              Column("mood", Enum("calm", "busy", name="mood")))
        Table("m_parent", metadata, Column("id", Integer, primary_key=True))
        """,
    )

    planned = run_cli("fix", "--models", models, "--db", postgresql_url)

    script = planned.stdout
    assert script.index("CREATE TYPE mood") < script.index("CREATE TABLE a_child")
    assert script.index("CREATE TABLE m_parent") < script.index("CREATE TABLE a_child")


def test_alembic_revision_for_every_additive_kind(db_url, tmp_path, alembic_env, run_cli,
                                                  writable_engine):  # fmt: skip
    from alembic import command

    from test_fix_kinds import ADDITIVE_MODELS, ITEMS, OWNERS, _old_additive_schema

    engine = writable_engine(db_url)
    build(engine, _old_additive_schema(), {"owners": OWNERS, "items": ITEMS})
    models = write_models(tmp_path, ADDITIVE_MODELS)
    config = _alembic_config(alembic_env, db_url)
    command.stamp(config, "head")
    revision = alembic_env.parent / "migrations" / "versions" / "fix_drift.py"

    written = run_cli(
        "fix", "--models", models, "--db", db_url, "--format", "alembic",
        "--alembic-config", str(alembic_env), "--output", str(revision),
    )  # fmt: skip
    command.upgrade(config, "head")
    fixed = run_cli("check", "--models", models, "--db", db_url)

    assert written.exit_code == 0, written.stderr
    assert fixed.exit_code == 0, fixed.stdout + revision.read_text()
    assert len(read_rows(engine, "items", ["id"])) == 3

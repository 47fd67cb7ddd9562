"""The models are described once and moved into each tenant schema: same as describing each."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Enum, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.dialects import mysql, postgresql, sqlite

from schemadoctor.api import _TARGET, as_models, retarget
from schemadoctor.describe import describe_models

CHAT_MODELS = Path(__file__).resolve().parent.parent / "examples" / "chat" / "models.py"


def _models() -> MetaData:
    metadata = MetaData()
    Table(
        "plans",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("tier", Enum("free", "paid", name="plan_tier")),
        schema="shared",
    )
    Table(
        "accounts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("plan_id", ForeignKey("shared.plans.id")),
        Column("state", Enum("open", "closed", name="account_state")),
        Column("name", String(80), nullable=False, server_default="x"),
    )
    Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), index=True),
    )
    return metadata


@pytest.mark.parametrize("dialect", [postgresql.dialect(), mysql.dialect(), sqlite.dialect()])
def test_retargeted_description_equals_describing_in_the_schema(dialect):
    models = as_models(_models())
    template = describe_models(models, dialect, _TARGET)

    for target in ("tenant_a", "tenant_b"):
        moved = retarget(template, target, drop=set())
        direct = describe_models(models, dialect, target)

        assert moved.tables == direct.tables
        assert moved.enums == direct.enums
        assert moved.default_schema == direct.default_schema == target


def test_dropped_schemas_leave_only_the_tenant_tables():
    models = as_models(_models())
    template = describe_models(models, postgresql.dialect(), _TARGET)

    moved = retarget(template, "tenant_a", drop={"shared"})

    assert sorted(moved.tables) == [("tenant_a", "accounts"), ("tenant_a", "users")]
    # An Enum without inherit_schema is created on the search path, not in its table's schema.
    assert sorted(moved.enums) == [("tenant_a", "account_state"), ("tenant_a", "plan_tier")]
    assert moved.tables[("tenant_a", "accounts")].foreign_keys[0].referred_schema == "shared"


def test_findings_carry_the_same_source_lines_as_an_eager_description(sqlite_url, writable_engine):
    from schemadoctor.api import check
    from schemadoctor.compare import compare_schemas
    from schemadoctor.connect import open_database
    from schemadoctor.reflect import reflect_database

    models = as_models(str(CHAT_MODELS))
    engine = writable_engine(sqlite_url)
    models.metadata[0].create_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE messages DROP COLUMN token_count")
        connection.exec_driver_sql("ALTER TABLE users ADD COLUMN nickname VARCHAR(20)")
        connection.exec_driver_sql("DROP INDEX ix_messages_conversation_id")

    report = check(models, sqlite_url)
    database = open_database(sqlite_url)
    db_shape = reflect_database(database)
    eager = compare_schemas(describe_models(models, engine.dialect, "main"), db_shape)
    database.dispose()

    def located(findings):
        return [(f.kind, f.table, f.column, f.name, f.location) for f in findings]

    assert located(report.findings) == located(eager)
    assert {f.kind.value for f in report.findings} >= {
        "missing_column",
        "extra_column",
        "missing_index",
    }
    assert all(f.location is not None for f in report.findings)
    assert [f.location.path for f in report.findings] == [str(CHAT_MODELS)] * len(report.findings)

"""Every fixable finding kind, on every dialect: drift -> fix --apply --yes -> check exits 0."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Enum,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from fixdrift import build, kinds, read_rows, write_models

ADDITIVE_MODELS = """
from sqlalchemy import (
    Column, DateTime, Enum, ForeignKey, Index, Integer, MetaData, String, Table, Text,
    UniqueConstraint, func, text,
)

metadata = MetaData()
owners = Table(
    "owners", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
)
items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("code", String(20), nullable=True),
    Column("qty", Integer, nullable=False, server_default=text("1")),
    Column("kind", Enum("small", "large", "huge", name="item_kind")),
    Column("owner_id", Integer, ForeignKey("owners.id", name="fk_items_owner")),
    Column("note", Text),
    Column("status", String(10), nullable=False, server_default="new"),
    Column("created_at", DateTime, server_default=func.now()),
    UniqueConstraint("code", name="uq_items_code"),
)
Index("ix_items_name", items.c.name)
tags = Table(
    "tags", metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("label", String(30)),
    Index("ix_tags_label", "label"),
)
"""

ITEM_COLUMNS = ["id", "name", "code", "qty", "kind", "owner_id"]


def _old_additive_schema() -> MetaData:
    metadata = MetaData()
    Table(
        "owners",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
    )
    Table(
        "items",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20), nullable=False),
        Column("code", String(20), nullable=False),
        Column("qty", Integer, nullable=False, server_default=text("0")),
        Column("kind", Enum("small", "large", name="item_kind")),
        Column("owner_id", Integer),
    )
    return metadata


OWNERS = [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]
ITEMS = [
    {"id": 1, "name": "bolt", "code": "B1", "qty": 5, "kind": "small", "owner_id": 1},
    {"id": 2, "name": "beam", "code": "B2", "qty": 0, "kind": "large", "owner_id": 2},
    {"id": 3, "name": "nut", "code": "N1", "qty": 7, "kind": None, "owner_id": None},
]


def test_additive_drift_is_fixed_and_rows_stay(db_url, tmp_path, run_cli, writable_engine):
    engine = writable_engine(db_url)
    build(engine, _old_additive_schema(), {"owners": OWNERS, "items": ITEMS})
    models = write_models(tmp_path, ADDITIVE_MODELS)
    before = read_rows(engine, "items", ITEM_COLUMNS)
    drift = run_cli("check", "--models", models, "--db", db_url, "--format", "json")
    expected_kinds = {
        "missing_table",
        "missing_column",
        "type_mismatch",
        "nullability_mismatch",
        "default_mismatch",
        "missing_index",
        "missing_unique_constraint",
        "missing_foreign_key",
    }
    if not db_url.startswith("sqlite"):
        expected_kinds.add("enum_mismatch")

    fixed = run_cli("fix", "--models", models, "--db", db_url, "--apply", "--yes")
    after = run_cli("check", "--models", models, "--db", db_url)
    again = run_cli("fix", "--models", models, "--db", db_url)

    assert set(kinds(drift)) == expected_kinds, drift.stdout
    assert fixed.exit_code == 0, fixed.stderr + fixed.stdout
    assert after.exit_code == 0, after.stdout
    assert read_rows(engine, "items", ITEM_COLUMNS) == before
    assert [row[0] for row in read_rows(engine, "items", ["status"])] == ["new"] * 3
    assert read_rows(engine, "owners", ["id", "name"]) == [(1, "ann"), (2, "bob")]
    assert again.exit_code == 0
    assert "Nothing to do" in again.stdout


DESTRUCTIVE_MODELS = """
from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table

metadata = MetaData()
owners = Table("owners", metadata, Column("id", Integer, primary_key=True))
items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(10)),
    Column("code", String(20), nullable=False),
    Column("amount", Integer),
    Column("owner_id", Integer),
    Index("ix_items_owner_id", "owner_id"),
)
"""


def _old_destructive_schema() -> MetaData:
    metadata = MetaData()
    Table("owners", metadata, Column("id", Integer, primary_key=True))
    Table(
        "items",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("code", String(20), nullable=True),
        Column("amount", String(10)),
        Column("owner_id", Integer),
        Column("legacy", Text),
        UniqueConstraint("name", name="uq_items_name"),
        ForeignKeyConstraint(["owner_id"], ["owners.id"], name="fk_items_owner"),
        Index("ix_items_owner_id", "owner_id"),
        Index("ix_items_code_old", "code"),
    )
    Table("old_stuff", metadata, Column("id", Integer, primary_key=True))
    return metadata


def test_destructive_drift_needs_the_flag(db_url, tmp_path, run_cli, writable_engine):
    engine = writable_engine(db_url)
    rows = [
        {"id": 1, "name": "bolt", "code": "B1", "amount": "12", "owner_id": 1, "legacy": "x"},
        {"id": 2, "name": "beam", "code": "B2", "amount": "7", "owner_id": None, "legacy": None},
    ]
    build(
        engine,
        _old_destructive_schema(),
        {"owners": [{"id": 1}], "items": rows, "old_stuff": [{"id": 1}, {"id": 2}]},
    )
    models = write_models(tmp_path, DESTRUCTIVE_MODELS)
    common = ["--models", models, "--db", db_url, "--fail-on", "info"]
    drift = run_cli("check", *common, "--format", "json")

    refused = run_cli("fix", *common, "--apply", "--yes")
    untouched = run_cli("check", *common, "--format", "json")
    kept = read_rows(engine, "old_stuff", ["id"])
    allowed = run_cli("fix", *common, "--apply", "--yes", "--allow-destructive")
    after = run_cli("check", *common)

    expected_kinds = {
        "extra_table",
        "extra_column",
        "extra_index",
        "extra_foreign_key",
        "type_mismatch",
        "nullability_mismatch",
        # On MySQL, whose unique constraints are unique indexes, the unique key is reported so.
        "extra_unique_constraint",
    }
    assert set(kinds(drift)) == expected_kinds, drift.stdout
    assert refused.exit_code == 3, refused.stderr
    assert "--allow-destructive" in refused.stderr
    assert "hazard: deletes the table and its 2 rows" in refused.stderr
    assert kinds(untouched) == kinds(drift)
    assert kept == [(1,), (2,)]
    assert allowed.exit_code == 0, allowed.stderr + allowed.stdout
    assert after.exit_code == 0, after.stdout
    assert read_rows(engine, "items", ["id", "name", "code", "amount", "owner_id"]) == [
        (1, "bolt", "B1", 12, 1),
        (2, "beam", "B2", 7, None),
    ]


CHANGED_MODELS = """
from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table

metadata = MetaData()
owners = Table("owners", metadata, Column("id", Integer, primary_key=True))
items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(20)),
    Column("owner_id", Integer, ForeignKey("owners.id", name="fk_items_owner",
                                           ondelete="CASCADE")),
    Index("ix_items_code", "code", unique=True),
)
"""


def test_changed_definitions_are_replaced_only_when_allowed(
    db_url, tmp_path, run_cli, writable_engine
):
    engine = writable_engine(db_url)
    metadata = MetaData()
    Table("owners", metadata, Column("id", Integer, primary_key=True))
    Table(
        "items",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("code", String(20)),
        Column("owner_id", Integer),
        Column("legacy_flag", Integer, nullable=False),
        ForeignKeyConstraint(["owner_id"], ["owners.id"], name="fk_items_owner"),
        Index("ix_items_code", "code"),
    )
    rows = [{"id": 1, "code": "A", "owner_id": 1, "legacy_flag": 0}]
    build(engine, metadata, {"owners": [{"id": 1}], "items": rows})
    models = write_models(tmp_path, CHANGED_MODELS)
    common = ["--models", models, "--db", db_url]

    refused = run_cli("fix", *common, "--apply", "--yes")
    allowed = run_cli("fix", *common, "--apply", "--yes", "--allow-destructive")
    after = run_cli("check", *common, "--fail-on", "info", "--format", "json")

    assert refused.exit_code == 3, refused.stderr
    assert "allow NULL in items.legacy_flag" in refused.stderr
    assert "replace index ix_items_code" in refused.stderr
    assert "replace foreign key fk_items_owner" in refused.stderr
    assert allowed.exit_code == 0, allowed.stderr + allowed.stdout
    assert kinds(after) == ["extra_column"]
    assert read_rows(engine, "items", ["id", "code", "owner_id", "legacy_flag"]) == [(1, "A", 1, 0)]

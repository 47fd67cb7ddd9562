"""Snapshots: check --snapshot gives the live check's findings, on every dialect; and diff."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gate_support import import_file, write_models

ROOT = Path(__file__).resolve().parent.parent
CHAT_MODELS = str(ROOT / "examples" / "chat" / "models.py")

RICH_MODELS = '''\
"""A schema with many column types, keys, indexes and defaults."""

import datetime
import decimal
import enum
import uuid
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, Enum, Float, ForeignKey, Index, LargeBinary,
    Numeric, SmallInteger, String, Text, Time, Unicode, UniqueConstraint, Uuid, func, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Status(enum.Enum):
    draft = "draft"
    live = "live"


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_sku_price", "sku", "price"),
        UniqueConstraint("sku", name="uq_products_sku"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sku: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(TITLE_TYPE)
    price: Mapped[decimal.Decimal] = mapped_column(Numeric(10, 2), server_default=text("0"))
    weight: Mapped[float | None] = mapped_column(Float)
    in_stock: Mapped[bool] = mapped_column(Boolean)
    quantity: Mapped[int] = mapped_column(SmallInteger, nullable=QUANTITY_NULLABLE)
    released: Mapped[datetime.date | None] = mapped_column(Date)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime, server_default=func.now())
    opens_at: Mapped[datetime.time | None] = mapped_column(Time)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[Status] = mapped_column(Enum(Status, name="product_status"))
    external_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    notes: Mapped[str | None] = mapped_column(Unicode(200))
EXTRA_COLUMNS


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str | None] = mapped_column(Text)
'''


def _rich_source(db_side: bool) -> str:
    source = RICH_MODELS
    if not db_side:
        return (
            source.replace("TITLE_TYPE", "Text")
            .replace("QUANTITY_NULLABLE", "False")
            .replace("EXTRA_COLUMNS\n", "")
        )
    # The database drifted: title narrowed, quantity nullable, weight and the index gone,
    # a column the models do not know.
    return (
        source.replace("TITLE_TYPE", "String(100)")
        .replace("QUANTITY_NULLABLE", "True")
        .replace("    weight: Mapped[float | None] = mapped_column(Float)\n", "")
        .replace('        Index("ix_products_sku_price", "sku", "price"),\n', "")
        .replace(
            "EXTRA_COLUMNS",
            "    legacy_code: Mapped[str | None] = mapped_column(String(10))",
        )
    )


def _build(example: str, url: str, tmp_path: Path, writable_engine) -> str:
    if example == "chat":
        script = ROOT / "examples" / "chat" / "make_database.py"
        subprocess.run([sys.executable, str(script), url], check=True, capture_output=True)
        return CHAT_MODELS
    db_models = import_file(write_models(tmp_path, _rich_source(db_side=True)))
    db_models.Base.metadata.create_all(writable_engine(url))
    return str(write_models(tmp_path, _rich_source(db_side=False)))


@pytest.mark.parametrize("example", ["chat", "rich"])
def test_snapshot_check_gives_the_live_findings(
    example, db_url, tmp_path, run_cli, writable_engine
):
    models = _build(example, db_url, tmp_path, writable_engine)
    snapshot = tmp_path / "schema.json"

    live = run_cli("check", "--models", models, "--db", db_url, "--format", "json")
    taken = run_cli("snapshot", "--db", db_url, "-o", str(snapshot))
    offline = run_cli(
        "check",
        "--models",
        models,
        "--snapshot",
        str(snapshot),
        "--format",
        "json",
        env={"SCHEMADOCTOR_DATABASE_URL": "", "DATABASE_URL": ""},
    )

    assert taken.exit_code == 0, taken.stderr
    assert live.exit_code == offline.exit_code == 1, (live.stderr, offline.stderr)
    live_report, offline_report = json.loads(live.stdout), json.loads(offline.stdout)
    assert live_report["findings"], "the example must drift"
    assert offline_report["findings"] == live_report["findings"]
    assert offline_report["summary"] == live_report["summary"]
    assert offline_report["warnings"] == live_report["warnings"]
    if example == "rich":
        kinds = {(f["kind"], f["column"] or f["name"]) for f in live_report["findings"]}
        assert {("missing_column", "weight"), ("extra_column", "legacy_code")} <= kinds


def test_snapshot_holds_no_data_and_no_credentials(db_url, tmp_path, run_cli, writable_engine):
    _build("chat", db_url, tmp_path, writable_engine)

    result = run_cli("snapshot", "--db", db_url)

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["format"] == "schemadoctor-snapshot" and data["version"] == 1
    assert {t["name"] for t in data["tables"]} == {"users", "conversations", "messages"}
    assert "ada@example.com" not in result.stdout
    assert "@" not in data["database"]["source"]


def test_check_against_a_snapshot_never_connects(tmp_path, sqlite_url, run_cli, writable_engine):
    _build("chat", sqlite_url, tmp_path, writable_engine)
    snapshot = tmp_path / "schema.json"
    run_cli("snapshot", "--db", sqlite_url, "-o", str(snapshot))
    Path(sqlite_url.removeprefix("sqlite:///")).unlink()

    result = run_cli("check", "--models", CHAT_MODELS, "--snapshot", str(snapshot))

    assert result.exit_code == 1, result.stderr
    assert "workflow_config" in result.stdout


def test_damaged_or_foreign_snapshot_is_a_configuration_error(tmp_path, run_cli):
    snapshot = tmp_path / "schema.json"
    snapshot.write_text('{"version": 1}', encoding="utf-8")

    result = run_cli("check", "--models", CHAT_MODELS, "--snapshot", str(snapshot))

    assert result.exit_code == 2
    assert "is not a schemadoctor snapshot" in result.stderr


def test_diff_database_against_its_snapshot_is_in_sync(db_url, tmp_path, run_cli, writable_engine):
    _build("rich", db_url, tmp_path, writable_engine)
    snapshot = tmp_path / "schema.json"
    run_cli("snapshot", "--db", db_url, "-o", str(snapshot))

    result = run_cli("diff", db_url, str(snapshot), "--format", "json")

    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["findings"] == []


def test_diff_two_databases_source_plays_the_models(tmp_path, run_cli, writable_engine):
    staging, production = (f"sqlite:///{tmp_path / name}.db" for name in ("staging", "prod"))
    models = import_file(Path(CHAT_MODELS))
    models.Base.metadata.create_all(writable_engine(staging))
    _build("chat", production, tmp_path, writable_engine)

    forward = run_cli("diff", staging, production, "--format", "json")
    backward = run_cli("diff", production, staging, "--format", "json")

    assert forward.exit_code == 1
    assert [(f["kind"], f["column"]) for f in json.loads(forward.stdout)["findings"]] == [
        ("missing_column", "workflow_config")
    ]
    assert backward.exit_code == 0
    assert [(f["kind"], f["column"]) for f in json.loads(backward.stdout)["findings"]] == [
        ("extra_column", "workflow_config")
    ]


def test_diff_models_against_snapshot_matches_check(tmp_path, sqlite_url, run_cli, writable_engine):
    _build("chat", sqlite_url, tmp_path, writable_engine)
    snapshot = tmp_path / "schema.json"
    run_cli("snapshot", "--db", sqlite_url, "-o", str(snapshot))

    diffed = run_cli("diff", CHAT_MODELS, str(snapshot), "--format", "json")
    checked = run_cli("check", "--models", CHAT_MODELS, "--snapshot", str(snapshot), "-o", "-")

    assert diffed.exit_code == 1
    assert [(f["kind"], f["column"]) for f in json.loads(diffed.stdout)["findings"]] == [
        ("missing_column", "workflow_config")
    ]
    assert checked.exit_code == 1
    assert "workflow_config" in checked.stdout


def test_diff_of_two_model_sets_needs_a_dialect(run_cli):
    result = run_cli("diff", CHAT_MODELS, CHAT_MODELS)

    assert result.exit_code == 2
    assert "--dialect" in result.stderr
    assert run_cli("diff", CHAT_MODELS, CHAT_MODELS, "--dialect", "postgresql").exit_code == 0


def test_diff_two_mysql_databases_with_different_names(mysql_url, run_cli, writable_engine):
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    staging = make_url(mysql_url)
    production = staging.set(database=f"{staging.database}_prod")
    admin = writable_engine(mysql_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE DATABASE `{production.database}`"))
    try:
        models = import_file(Path(CHAT_MODELS))
        models.Base.metadata.create_all(writable_engine(mysql_url))
        production_url = production.render_as_string(hide_password=False)
        _build("chat", production_url, Path("."), writable_engine)

        result = run_cli("diff", mysql_url, production_url, "--format", "json")
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{production.database}`"))

    assert result.exit_code == 1, result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["kind"], f["table"], f["column"]) for f in findings] == [
        ("missing_column", "conversations", "workflow_config")
    ]


BILLING_MODELS = """\
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = {"schema": "billing"}

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    total_cents: Mapped[int]
"""


def test_snapshot_with_models_holds_their_other_schemas(
    postgresql_url, tmp_path, run_cli, writable_engine
):
    from sqlalchemy import text

    engine = writable_engine(postgresql_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE SCHEMA billing"))
        connection.execute(text("CREATE TABLE customers (id integer PRIMARY KEY, name text)"))
        connection.execute(
            text(
                "CREATE TABLE billing.invoices (id integer PRIMARY KEY, "
                "customer_id integer REFERENCES customers (id))"
            )
        )
    models = str(write_models(tmp_path, BILLING_MODELS))
    with_models, without_models = tmp_path / "with.json", tmp_path / "without.json"
    run_cli("snapshot", "--db", postgresql_url, "--models", models, "-o", str(with_models))
    run_cli("snapshot", "--db", postgresql_url, "-o", str(without_models))

    live = run_cli("check", "--models", models, "--db", postgresql_url, "--format", "json")
    offline = run_cli(
        "check", "--models", models, "--snapshot", str(with_models), "--format", "json"
    )
    partial = run_cli(
        "check", "--models", models, "--snapshot", str(without_models), "--format", "json"
    )

    live_findings = json.loads(live.stdout)["findings"]
    assert ("missing_column", "invoices", "total_cents") in {
        (f["kind"], f["table"], f["column"]) for f in live_findings
    }
    assert json.loads(offline.stdout)["findings"] == live_findings
    assert json.loads(with_models.read_text())["schemas"] == ["public", "billing"]
    # Without --models the snapshot never read billing: the check says so.
    partial_report = json.loads(partial.stdout)
    assert ("missing_table", "invoices") in {
        (f["kind"], f["table"]) for f in partial_report["findings"]
    }
    assert any("'billing'" in w and "not in the snapshot" in w for w in partial_report["warnings"])

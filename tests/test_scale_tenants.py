"""Many tenant schemas checked against the same models in one run (PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from conftest import _fresh_postgresql
from schemadoctor.connect import parse_url
from schemadoctor.load import load_models

MODELS = """
from sqlalchemy import ForeignKey, Index, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200), unique=True)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (Index("ix_products_sku", "sku"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40))
    price: Mapped[float] = mapped_column(Numeric(10, 2))


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(500))


class OrderItem(Base):
    __tablename__ = "order_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]
"""

TENANTS = [f"tenant_{number:02d}" for number in range(25)]
DRIFT = {
    "tenant_03": "ALTER TABLE tenant_03.orders DROP COLUMN note",
    "tenant_17": "ALTER TABLE tenant_17.customers ALTER COLUMN name TYPE varchar(40)",
}

pytestmark = pytest.mark.postgresql


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """25 tenant schemas built from the models, two of them drifted; (url, models path).

    Built once for the module (the tests only read it) in a database dropped afterwards.
    """
    # A module name of its own: the CLI imports the file under that name.
    models = tmp_path_factory.mktemp("tenants") / f"tenant_models_{uuid.uuid4().hex[:8]}.py"
    models.write_text(MODELS, encoding="utf-8")
    metadata = load_models([str(models)]).metadata[0]
    for url in _fresh_postgresql():
        engine = create_engine(parse_url(url))
        with engine.begin() as connection:
            for tenant in TENANTS:
                connection.execute(text(f'CREATE SCHEMA "{tenant}"'))
                metadata.create_all(
                    connection.execution_options(schema_translate_map={None: tenant}),
                    checkfirst=False,
                )
            connection.execute(text("CREATE SCHEMA billing"))
            for statement in DRIFT.values():
                connection.execute(text(statement))
        engine.dispose()
        yield url, str(models)


def _check(run_cli, url: str, models: str, *args: str):
    return run_cli("check", "--models", models, "--db", url, *args)


def test_report_names_every_drifted_tenant_and_how(tenants, run_cli):
    url, models = tenants

    result = _check(run_cli, url, models, "--schema", "tenant_*", "--format", "json")

    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["schemas"] == TENANTS
    found = {(f["schema"], f["kind"], f["table"], f["column"]) for f in report["findings"]}
    assert found == {
        ("tenant_03", "missing_column", "orders", "note"),
        ("tenant_17", "type_mismatch", "customers", "name"),
    }
    assert report["schema_summary"] == {
        "checked": 25,
        "in_sync": 23,
        "drifted": ["tenant_03", "tenant_17"],
    }


def test_text_report_groups_by_schema_and_counts_schemas_in_sync(tenants, run_cli):
    url, models = tenants

    result = _check(run_cli, url, models, "--schema", "tenant_*")

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "schema tenant_03: 1 finding" in lines
    assert "schema tenant_17: 1 finding" in lines
    assert lines.index("schema tenant_03: 1 finding") < lines.index("tenant_03.orders")
    assert "23 of 25 schemas in sync; drift in tenant_03, tenant_17." in lines


def test_names_and_globs_combine_without_duplicates(tenants, run_cli):
    url, models = tenants

    result = _check(
        run_cli,
        url,
        models,
        *("--schema", "tenant_0[0-4]", "--schema", "tenant_03", "--schema", "tenant_20"),
        *("--format", "json"),
    )

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["schemas"] == [f"tenant_0{number}" for number in range(5)] + ["tenant_20"]
    assert report["schema_summary"]["in_sync"] == 5
    assert report["schema_summary"]["drifted"] == ["tenant_03"]


def test_a_glob_matching_no_schema_is_an_error_sentence(tenants, run_cli):
    url, models = tenants

    result = _check(run_cli, url, models, "--schema", "customer_*")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: No schema matches 'customer_*'; the database has ")
    assert result.stderr.rstrip().endswith(".")


def test_jobs_give_the_same_report_as_one_connection(tenants, run_cli, monkeypatch):
    url, models = tenants
    # Small batches, so that four connections really share the work.
    monkeypatch.setattr("schemadoctor.api.SCHEMAS_PER_BATCH", 3)

    one = _check(run_cli, url, models, "--schema", "tenant_*", "--format", "json", "--jobs", "1")
    four = _check(run_cli, url, models, "--schema", "tenant_*", "--format", "json", "--jobs", "4")

    assert one.exit_code == four.exit_code == 1
    assert one.stdout == four.stdout
    assert len(json.loads(one.stdout)["findings"]) == 2


def test_in_sync_tenants_exit_zero(tenants, run_cli):
    url, models = tenants

    result = _check(run_cli, url, models, "--schema", "tenant_0[4-9]", "--schema", "tenant_1[0-6]")

    assert result.exit_code == 0, result.stdout
    assert "13 of 13 schemas in sync." in result.stdout.splitlines()

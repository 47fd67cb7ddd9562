"""The models are described once and moved into each tenant schema: same as describing each."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Enum, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.dialects import mysql, postgresql, sqlite

from schemadoctor.api import _TARGET, as_models, retarget
from schemadoctor.describe import describe_models


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

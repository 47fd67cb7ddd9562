"""Fast tests on in-memory structures: ignore-rule matching, snapshot JSON round trip."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from schemadoctor.config import IgnoreRule, apply_ignore_rules, parse_config
from schemadoctor.errors import ConfigurationError
from schemadoctor.findings import Finding, Kind, Severity
from schemadoctor.schema import (
    ColumnShape,
    EnumShape,
    ForeignKeyShape,
    IndexShape,
    SchemaShape,
    TableShape,
    UniqueShape,
)
from schemadoctor.snapshot import Snapshot, render_snapshot, snapshot_from_data


def _finding(kind: Kind, table: str, column: str | None = None, name: str | None = None):
    return Finding(
        kind=kind,
        severity=Severity.ERROR,
        schema="public",
        table=table,
        column=column,
        name=name,
        message="m",
        hint="h",
    )


FINDINGS = [
    _finding(Kind.MISSING_COLUMN, "orders", "total"),
    _finding(Kind.TYPE_MISMATCH, "orders", "total"),
    _finding(Kind.EXTRA_INDEX, "orders", name="ix_orders_legacy"),
    _finding(Kind.EXTRA_TABLE, "legacy_users"),
]


@pytest.mark.parametrize(
    ("rule", "silenced"),
    [
        (IgnoreRule(("missing_column",), "r", table="orders", column="total"), [0]),
        (IgnoreRule(("*_mismatch", "missing_*"), "r", table="public.ord*"), [0, 1]),
        (IgnoreRule(("extra_index",), "r", name="ix_*_legacy"), [2]),
        (IgnoreRule(("extra_table",), "r", table="legacy_*"), [3]),
        (IgnoreRule(("extra_table",), "r", table="orders"), []),
        (IgnoreRule(("type_mismatch",), "r", column="tot"), []),
    ],
)
def test_rule_silences_exactly_what_it_names(rule, silenced):
    outcome = apply_ignore_rules(FINDINGS, [rule], datetime.date(2026, 1, 1))

    assert [i.finding for i in outcome.ignored] == [FINDINGS[n] for n in silenced]
    assert outcome.findings == [f for n, f in enumerate(FINDINGS) if n not in silenced]
    assert bool(outcome.notes) == (not silenced)  # a rule that matched nothing is named


def test_rule_applies_through_its_until_day_and_not_after():
    rule = IgnoreRule(("extra_table",), "r", until=datetime.date(2026, 6, 30))

    on_the_day = apply_ignore_rules(FINDINGS, [rule], datetime.date(2026, 6, 30))
    the_day_after = apply_ignore_rules(FINDINGS, [rule], datetime.date(2026, 7, 1))

    assert len(on_the_day.ignored) == 1 and on_the_day.notes == []
    assert the_day_after.ignored == [] and len(the_day_after.findings) == 4
    assert the_day_after.notes == [
        "The ignore rule for extra_table on * expired on 2026-06-30; its findings are reported "
        "again (reason was: r)."
    ]


def test_parse_config_reads_every_key(tmp_path):
    config = parse_config(
        {
            "models": "app/models.py:Base",
            "url-env": "APP_URL",
            "schemas": ["public", "tenant_*"],
            "include-tables": ["*"],
            "exclude-tables": ["celery_*"],
            "fail-on": "error",
            "ignore": [{"kind": "extra_table", "reason": "kept", "until": "2027-01-31"}],
        },
        tmp_path / "pyproject.toml",
    )

    assert config.models == (f"{(tmp_path / 'app/models.py').resolve()}:Base",)
    assert config.url_env == "APP_URL"
    assert config.schemas == ("public", "tenant_*")
    assert config.exclude_tables == ("celery_*",)
    assert config.fail_on == Severity.ERROR
    assert config.ignore[0].until == datetime.date(2027, 1, 31)
    assert config.resolve_url(None, {"APP_URL": "sqlite:///a.db"}) == "sqlite:///a.db"
    assert config.resolve_url("sqlite:///b.db", {"APP_URL": "x"}) == "sqlite:///b.db"


def test_rule_without_reason_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="ignore rule 2 has no reason"):
        parse_config(
            {"ignore": [{"kind": "extra_table", "reason": "ok"}, {"kind": "extra_table"}]},
            Path("pyproject.toml"),
        )


def test_snapshot_json_round_trip_keeps_every_shape():
    table = TableShape(
        name="orders",
        schema="public",
        columns=(
            ColumnShape("id", "INTEGER", nullable=False, autoincrement=True),
            ColumnShape(
                "state", "order_state", enum_name="order_state", enum_labels=("new", "paid")
            ),
            ColumnShape("total", "NUMERIC(10, 2)", default="0", computed=None),
        ),
        primary_key=("id",),
        indexes=(IndexShape("ix_total", (None, "total"), expressions=("lower(x)",)),),
        uniques=(UniqueShape("uq_state", ("state",)),),
        foreign_keys=(ForeignKeyShape("fk", ("id",), "public", "users", ("id",), "CASCADE"),),
    )
    shape = SchemaShape(
        dialect="postgresql",
        default_schema="public",
        tables={("public", "orders"): table},
        enums={("public", "order_state"): EnumShape("order_state", "public", ("new", "paid"))},
        warnings=["a note"],
    )
    snapshot = Snapshot(shape, ["public"], "postgresql", (15, 4), source="postgresql://h/db")

    again = snapshot_from_data(json.loads(render_snapshot(snapshot)))

    assert again.shape == shape
    assert again.schemas == ["public"] and again.server_version == (15, 4)
    assert again.dialect().server_version_info == (15, 4)

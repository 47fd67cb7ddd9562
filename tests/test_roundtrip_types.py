"""Round trips: models → create_all → check reports nothing, over a wide type matrix.

A database that the models' own ``create_all`` made is in sync by definition, so any finding
here is a false alarm: spelling differences of types, defaults, indexes or keys between what
SQLAlchemy emits and what the database's catalog hands back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from compare_models import POSTGRESQL_SETUP, domain_metadata, roundtrip_metadata
from schemadoctor import check

MODELS = Path(__file__).resolve().parent / "compare_models.py"


def _dialect(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


def _build(url: str, writable_engine) -> None:
    dialect = _dialect(url)
    engine = writable_engine(url)
    if dialect == "postgresql":
        with engine.begin() as connection:
            for statement in POSTGRESQL_SETUP:
                connection.execute(text(statement))
    roundtrip_metadata(dialect).create_all(engine)
    engine.dispose()


def _describe(findings: list[dict[str, object]]) -> list[str]:
    return [
        f"{f['severity']} {f['kind']} {f['table']}.{f['column'] or f['name']}: "
        f"{f['expected']!r} vs {f['actual']!r}"
        for f in findings
    ]


def test_type_matrix_round_trip_has_no_finding(db_url, writable_engine, run_cli):
    _build(db_url, writable_engine)
    target = f"{MODELS}:{_dialect(db_url)}_models"

    result = run_cli(
        "check", "--models", target, "--db", db_url, "--format", "json", "--fail-on", "info"
    )

    report = json.loads(result.stdout)
    assert _describe(report["findings"]) == []
    assert result.exit_code == 0, result.stderr


def test_round_trip_warns_only_about_what_is_not_compared(db_url, writable_engine):
    _build(db_url, writable_engine)

    report = check(roundtrip_metadata(_dialect(db_url)), db_url, fail_on="info")

    assert report.findings == []
    # What is not compared is said, never skipped silently: here the CHECK constraints.
    assert report.warnings == [
        "Table generic: CHECK constraints are not compared (checked, unnamed).",
        "Table parent: CHECK constraints are not compared (positive).",
    ]
    assert report.exit_code == 0


@pytest.mark.parametrize("fail_on", ["error", "warning", "info"])
def test_round_trip_exits_zero_at_every_threshold(sqlite_url, writable_engine, run_cli, fail_on):
    _build(sqlite_url, writable_engine)

    result = run_cli(
        "check", "--models", f"{MODELS}:sqlite_models", "--db", sqlite_url, "--fail-on", fail_on
    )

    assert result.exit_code == 0, result.stdout + result.stderr


def test_postgresql_domains_round_trip(postgresql_url, writable_engine):
    engine = writable_engine(postgresql_url)
    domain_metadata().create_all(engine)
    engine.dispose()

    report = check(domain_metadata(), postgresql_url, fail_on="info")

    assert report.findings == []
    assert report.exit_code == 0

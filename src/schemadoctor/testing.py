"""A pytest helper: fail a test with a readable message when the models and database drift.

from schemadoctor.testing import assert_no_drift

def test_schema_matches_models(engine):
    assert_no_drift(engine, Base.metadata)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from schemadoctor.findings import Finding, Report, Severity


def assert_no_drift(
    engine: Any,
    metadata: Any,
    *,
    schemas: Sequence[str] = (),
    exclude_tables: Sequence[str] = (),
    include_tables: Sequence[str] = (),
    fail_on: Severity | str = Severity.WARNING,
) -> Report:
    """Raise AssertionError naming each finding at or above ``fail_on``; return the report.

    ``engine`` is an Engine or a URL; ``metadata`` a MetaData, declarative base or targets.
    """
    from schemadoctor.api import check

    report = check(
        metadata,
        engine,
        schemas=schemas,
        exclude_tables=exclude_tables,
        include_tables=include_tables,
        fail_on=fail_on,
    )
    if report.failing:
        raise AssertionError(drift_message(report))
    return report


def drift_message(report: Report) -> str:
    """Every failing finding on its own lines: what, both sides, where, and the hint."""
    failing = report.failing
    lines = [
        f"schemadoctor found {len(failing)} drift{'s' if len(failing) != 1 else ''} "
        f"between the models and {report.url} (fail-on {report.fail_on.value}):"
    ]
    lines += [_describe(finding) for finding in failing]
    return "\n".join(lines)


def _describe(finding: Finding) -> str:
    name = f"{finding.schema}.{finding.subject}" if finding.schema else finding.subject
    expected = finding.expected if finding.expected is not None else "(absent)"
    actual = finding.actual if finding.actual is not None else "(absent)"
    text = (
        f"  - {finding.severity.value} {finding.kind.value} {name}: {finding.message}\n"
        f"      models: {expected}   database: {actual}"
    )
    if finding.location:
        text += f"\n      defined at {finding.location.path}:{finding.location.line}"
    return text + f"\n      hint: {finding.hint}"

"""The JSON report: one object, versioned (see README, "JSON format")."""

from __future__ import annotations

import json
from typing import Any

from schemadoctor.findings import Finding, Report
from schemadoctor.report.paths import display_path
from schemadoctor.report.schemas import summarize_schemas

JSON_VERSION = 1


def report_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data."""
    data: dict[str, Any] = {
        "version": JSON_VERSION,
        "database": {"dialect": report.dialect, "url": report.url},
        "schemas": report.schemas,
        "fail_on": report.fail_on.value,
        "in_sync": report.in_sync,
        "exit_code": report.exit_code,
        "findings": [_finding_data(finding) for finding in report.findings],
        "summary": report.summary,
        "schema_summary": summarize_schemas(report).to_dict(),
        "ignored": [ignored.to_dict() for ignored in report.ignored],
        "warnings": report.warnings,
    }
    # Present only when asked for, so that a plain check's document keeps its shape.
    if report.migrations is not None:
        data["migrations"] = report.migrations.to_dict()
    if report.schema_migrations:
        data["schema_migrations"] = {
            schema: state.to_dict() for schema, state in report.schema_migrations.items()
        }
    if report.probes is not None:
        data["probes"] = [probe.to_dict() for probe in report.probes]
    return data


FINDING_FIELDS = (
    "kind",
    "severity",
    "schema",
    "table",
    "column",
    "name",
    "expected",
    "actual",
    "message",
    "hint",
    "location",
)


def _finding_data(finding: Finding) -> dict[str, Any]:
    """One ``findings[]`` item: the documented fields first, in README's order."""
    data = finding.to_dict()
    if data.get("location"):
        data["location"] = {**data["location"], "path": display_path(data["location"]["path"])}
    ordered = {key: data.pop(key) for key in FINDING_FIELDS if key in data}
    return {**ordered, **data}


def render_json(report: Report) -> str:
    """The report as indented JSON text."""
    return json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"

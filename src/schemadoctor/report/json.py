"""The JSON report: one object, versioned (see README, "JSON format")."""

from __future__ import annotations

import json
from typing import Any

from schemadoctor.findings import Finding, Report
from schemadoctor.report.paths import display_path

JSON_VERSION = 1


def report_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "version": JSON_VERSION,
        "database": {"dialect": report.dialect, "url": report.url},
        "schemas": report.schemas,
        "fail_on": report.fail_on.value,
        "in_sync": report.in_sync,
        "exit_code": report.exit_code,
        "findings": [_finding_data(finding) for finding in report.findings],
        "summary": report.summary,
        "warnings": report.warnings,
    }


def _finding_data(finding: Finding) -> dict[str, Any]:
    data = finding.to_dict()
    if data.get("location"):
        data["location"] = {**data["location"], "path": display_path(data["location"]["path"])}
    return data


def render_json(report: Report) -> str:
    """The report as indented JSON text."""
    return json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"

"""Reports of several databases (shards) checked in one run, as one artefact."""

from __future__ import annotations

import json
from pathlib import Path

from schemadoctor.errors import ConfigurationError
from schemadoctor.findings import Report

MANY_FORMATS = ("text", "json", "sarif", "junit", "github", "markdown")


def render_many(
    reports: list[Report],
    format_name: str,
    *,
    color: bool = False,
    root: str | Path | None = None,
) -> str:
    """The reports of several databases, one after another, and a verdict over all of them."""
    if format_name in ("sarif", "junit", "github", "markdown"):
        return render_many_for_ci(reports, format_name, root)
    if format_name == "json":
        from schemadoctor.report.json import JSON_VERSION, report_data

        data = {
            "version": JSON_VERSION,
            "databases": [report_data(report) for report in reports],
            "in_sync": all(report.in_sync for report in reports),
            "exit_code": max(report.exit_code for report in reports),
            "database_summary": {
                "checked": len(reports),
                "in_sync": sum(report.in_sync for report in reports),
                "drifted": [report.url for report in reports if not report.in_sync],
            },
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if format_name == "text":
        from schemadoctor.report.text import render_text

        parts = [render_text(report, color=color) for report in reports]
        return "\n".join(parts) + "\n" + databases_line(reports) + "\n"
    raise ConfigurationError(
        f"The {format_name} format reports one database; give one --db per run, or use "
        f"--format {' or '.join(MANY_FORMATS)} for several."
    )


def databases_line(reports: list[Report]) -> str:
    """One sentence: how many databases are in sync, naming those that drifted."""
    drifted = [report.url for report in reports if not report.in_sync]
    line = f"{len(reports) - len(drifted)} of {len(reports)} databases in sync"
    if drifted:
        line += f"; drift in {', '.join(drifted)}"
    return line + "."


def render_many_for_ci(reports: list[Report], format_name: str, root: str | Path | None) -> str:
    """SARIF as one run, JUnit as a suite per database; GitHub and Markdown one after another."""
    if format_name == "sarif":
        from schemadoctor.report.sarif import render_sarif_many

        return render_sarif_many(reports, root)
    if format_name == "junit":
        from schemadoctor.report.junit import render_junit_many

        return render_junit_many(reports, root)
    from schemadoctor.report import render

    parts = [render(report, format_name, root=root) for report in reports]
    closing = databases_line(reports)
    return (
        "\n".join(parts)
        + "\n"
        + (f"**{closing}**" if format_name == "markdown" else closing)
        + "\n"
    )

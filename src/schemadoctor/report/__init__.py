"""Render a Report in the format asked for; every renderer returns the text for stdout."""

from __future__ import annotations

from pathlib import Path

from schemadoctor.findings import Report

FORMATS = ("text", "json", "sarif", "junit", "github", "markdown")


def render(
    report: Report, format_name: str, *, color: bool = False, root: str | Path | None = None
) -> str:
    """The report as text in ``format_name`` (one of FORMATS).

    ``root`` is the repository root that source paths are made relative to (SARIF, JUnit,
    GitHub and Markdown); without it they are absolute.
    """
    if format_name == "json":
        from schemadoctor.report.json import render_json

        return render_json(report)
    if format_name == "sarif":
        from schemadoctor.report.sarif import render_sarif

        return render_sarif(report, root)
    if format_name == "junit":
        from schemadoctor.report.junit import render_junit

        return render_junit(report, root)
    if format_name == "github":
        from schemadoctor.report.github import render_github

        return render_github(report, root)
    if format_name == "markdown":
        from schemadoctor.report.markdown import render_markdown

        return render_markdown(report, root)
    from schemadoctor.report.text import render_text

    return render_text(report, color=color)

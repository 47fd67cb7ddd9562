"""Render a Report in the format asked for; every renderer returns the text for stdout."""

from __future__ import annotations

from schemadoctor.findings import Report

FORMATS = ("text", "json")


def render(report: Report, format_name: str, *, color: bool = False) -> str:
    """The report as text in ``format_name`` (one of FORMATS)."""
    if format_name == "json":
        from schemadoctor.report.json import render_json

        return render_json(report)
    from schemadoctor.report.text import render_text

    return render_text(report, color=color)

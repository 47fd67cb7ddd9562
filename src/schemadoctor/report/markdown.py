"""Markdown for a pull-request comment or a CI step summary: one table of findings."""

from __future__ import annotations

from pathlib import Path

from schemadoctor.findings import Finding, Report
from schemadoctor.report.paths import cause_text, relative_path, subject


def render_markdown(report: Report, root: str | Path | None = None) -> str:
    """The report as Markdown: verdict, findings table, ignored findings and notes."""
    verdict = "in sync" if report.in_sync else "drift found"
    schemas = ", ".join(s for s in report.schemas if s) or "default"
    lines = [
        f"### schemadoctor: {verdict}",
        "",
        f"`{_code(report.url)}` ({report.dialect}, schema {_cell(schemas)}), "
        f"fail-on {report.fail_on.value}: {_counts(report)}.",
        "",
    ]
    if report.findings:
        lines += _findings_table(report.findings, root)
    if report.ignored:
        lines += [
            "<details><summary>"
            f"{len(report.ignored)} ignored finding{'s' if len(report.ignored) != 1 else ''}"
            "</summary>",
            "",
            "| Kind | Object | Reason | Until |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {i.finding.kind.value} | `{_code(subject(i.finding))}` | {_cell(i.reason)} "
            f"| {i.until or ''} |"
            for i in report.ignored
        ]
        lines += ["", "</details>", ""]
    lines += [f"> **Note:** {_cell(warning)}" for warning in report.warnings]
    return "\n".join(lines).rstrip("\n") + "\n"


def _counts(report: Report) -> str:
    counts = report.summary
    text = (
        f"{counts['error']} error{'s' if counts['error'] != 1 else ''}, "
        f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}, "
        f"{counts['info']} info"
    )
    return text + (f", {len(report.ignored)} ignored" if report.ignored else "")


def _findings_table(findings: list[Finding], root: str | Path | None) -> list[str]:
    # The cause column appears only when the check diagnosed causes (--alembic-config).
    causes = any(finding.cause for finding in findings)
    lines = [
        "| Severity | Kind | Object | Models | Database | Defined at | "
        + ("Cause | " if causes else "")
        + "Hint |",
        "| --- | --- | --- | --- | --- | --- | " + ("--- | " if causes else "") + "--- |",
    ]
    for finding in findings:
        where = ""
        if finding.location:
            where = f"`{relative_path(finding.location.path, root)}:{finding.location.line}`"
        cause = f" {_cell(cause_text(finding) or '')} |" if causes else ""
        lines.append(
            f"| **{finding.severity.value}** | {finding.kind.value} "
            f"| `{_code(subject(finding))}` | {_value(finding.expected)} "
            f"| {_value(finding.actual)} | {where} |{cause} {_cell(finding.hint)} |"
        )
    return [*lines, ""]


def _value(value: str | None) -> str:
    return f"`{_code(value)}`" if value is not None else "(absent)"


def _cell(text: str) -> str:
    # A pipe ends a table cell and a newline ends the row.
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    return _cell(text).replace("`", "'")

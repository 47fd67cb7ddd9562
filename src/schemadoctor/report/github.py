"""GitHub Actions: workflow-command annotations at the model's line, and a step summary."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from schemadoctor.findings import Finding, Report, Severity
from schemadoctor.report.markdown import render_markdown
from schemadoctor.report.paths import anchor, cause_text, relative_path, subject

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(report: Report, root: str | Path | None = None) -> str:
    """One ``::error file=…,line=…::…`` command per finding, then one per note."""
    lines = [_annotation(finding, report, root) for finding in report.findings]
    lines += [f"::warning title=schemadoctor::{_data(warning)}" for warning in report.warnings]
    verdict = "in sync" if report.in_sync else "drift found"
    counts = report.summary
    lines.append(
        f"schemadoctor: {counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['info']} info, {len(report.ignored)} ignored: {verdict} "
        f"(fail-on {report.fail_on.value})."
    )
    return "\n".join(lines) + "\n"


def _annotation(finding: Finding, report: Report, root: str | Path | None) -> str:
    properties = []
    where = anchor(finding, report)
    if where is not None:
        properties.append(f"file={_property(relative_path(where.path, root))}")
        properties.append(f"line={where.line}")
    title = f"schemadoctor {finding.kind.value}: {subject(finding)}"
    properties.append(f"title={_property(title)}")
    expected = finding.expected if finding.expected is not None else "(absent)"
    actual = finding.actual if finding.actual is not None else "(absent)"
    message = f"{finding.message}\nmodels: {expected}   database: {actual}"
    cause = cause_text(finding)
    if cause:
        message += f"\ncause: {cause}"
    message += f"\nhint: {finding.hint}"
    return f"::{_COMMANDS[finding.severity]} {','.join(properties)}::{_data(message)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def append_step_summary(
    report: Report, root: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """Append the Markdown report to $GITHUB_STEP_SUMMARY when it is set; return its path."""
    environ = os.environ if environ is None else environ
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return None
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(render_markdown(report, root) + "\n")
    return path

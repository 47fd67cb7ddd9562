"""The human report: findings grouped by table, expected beside actual, a hint each."""

from __future__ import annotations

import io
import os
from collections import Counter, defaultdict

from rich.console import Console
from rich.markup import escape

from schemadoctor.findings import Cause, Finding, Report, Severity
from schemadoctor.report.paths import display_location
from schemadoctor.report.schemas import schemas_line

_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _console(buffer: io.StringIO, color: bool | None) -> Console:
    # NO_COLOR (no-color.org) wins even over an explicit request: no escape codes at all.
    color = bool(color) and not os.environ.get("NO_COLOR")
    return Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )


def _table_heading(finding: Finding) -> str:
    name = f"{finding.schema}.{finding.table}" if finding.schema else finding.table
    if finding.location and finding.kind.value.startswith(("missing_table",)):
        return f"{name}  ({display_location(finding.location)})"
    return name


def _schemas_label(report: Report) -> str:
    names = [schema for schema in report.schemas if schema]
    if len(names) > 4:
        return f"{len(names)} schemas: {names[0]} ... {names[-1]}"
    return f"schema {', '.join(names) or 'default'}"


def _schema_heading(schema: str | None, count: int) -> str:
    return (
        f"[bold underline]schema {escape(schema or 'default')}[/bold underline]: {count} finding"
        + ("s" if count != 1 else "")
    )


def _render_finding(console: Console, finding: Finding) -> None:
    style = _STYLES[finding.severity]
    subject = finding.column or finding.name or ""
    console.print(
        f"  [{style}]{finding.severity.value.upper():<8}[/{style}] "
        f"{finding.kind.value:<26} {escape(subject)}"
    )
    expected = finding.expected if finding.expected is not None else "(absent)"
    actual = finding.actual if finding.actual is not None else "(absent)"
    console.print(f"{'':11}models: {escape(expected)}   database: {escape(actual)}")
    console.print(f"{'':11}{escape(finding.message)}")
    console.print(f"{'':11}[dim]hint: {escape(finding.hint)}[/dim]")
    if finding.cause:
        label = Cause(finding.cause).label
        detail = f": {finding.cause_detail}" if finding.cause_detail else ""
        console.print(f"{'':11}[bold]cause:[/bold] {escape(label + detail)}")
    if finding.location:
        console.print(f"{'':11}[dim]at {escape(display_location(finding.location))}[/dim]")


def _render_probes(console: Console, report: Report) -> None:
    if report.probes is None:
        return
    console.print()
    failed = report.failed_probes
    console.print(
        f"[bold]probe[/bold]: {len(report.probes) - len(failed)} of {len(report.probes)} "
        "tables answered a query selecting every model column"
    )
    for probe in failed:
        name = f"{probe.schema}.{probe.table}" if probe.schema else probe.table
        console.print(
            f"  [bold red]FAILED[/bold red]   {escape(name)}: {escape(probe.error or '')}"
        )
        console.print(f"{'':11}[dim]{escape(probe.sql)}[/dim]")


def summary_line(report: Report) -> str:
    """One line: counts per severity and the verdict at ``fail_on``."""
    counts = report.summary
    parts = [
        f"{counts['error']} error{'s' if counts['error'] != 1 else ''}",
        f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}",
        f"{counts['info']} info",
    ]
    if report.ignored:
        parts.append(f"{len(report.ignored)} ignored")
    verdict = "in sync" if report.in_sync else "drift found"
    if report.failed_probes:
        count = len(report.failed_probes)
        parts.append(f"{count} failed probe{'s' if count != 1 else ''}")
    return f"{', '.join(parts)}: {verdict} (fail-on {report.fail_on.value})."


def render_text(report: Report, *, color: bool | None = None) -> str:
    """The report as text; styled only when ``color`` is true."""
    buffer = io.StringIO()
    console = _console(buffer, color)
    console.print(
        f"[bold]schemadoctor[/bold] {escape(report.url)} "
        f"({report.dialect}, {escape(_schemas_label(report))})"
    )

    if report.migrations is not None:
        console.print(f"migrations: {escape(report.migrations.message)}")
        for revision in report.migrations.pending:
            console.print(
                f"  pending {escape(revision.revision)}  {escape(revision.message)}"
                f"  ({escape(revision.path)})"
            )

    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        groups[(finding.schema or "", finding.table)].append(finding)
    many_schemas = len(report.schemas) > 1
    schema_counts = Counter(finding.schema for finding in report.findings)
    shown_schema: str | None = None
    for findings in groups.values():
        if many_schemas and findings[0].schema != shown_schema:
            shown_schema = findings[0].schema
            console.print()
            console.print(_schema_heading(shown_schema, schema_counts[shown_schema]))
            state = report.schema_migrations.get(shown_schema or "")
            if state is not None:
                console.print(f"migrations: {escape(state.message)}")
        console.print()
        console.print(f"[bold]{escape(_table_heading(findings[0]))}[/bold]")
        for finding in findings:
            _render_finding(console, finding)

    if report.ignored:
        console.print()
        console.print(f"[dim]ignored by the configuration ({len(report.ignored)}):[/dim]")
        for ignored in report.ignored:
            finding = ignored.finding
            console.print(
                f"[dim]  {finding.kind.value:<26} {escape(finding.subject)}: "
                f"{escape(ignored.reason)}[/dim]"
            )

    _render_probes(console, report)
    for warning in report.warnings:
        console.print()
        console.print(f"[yellow]note:[/yellow] {escape(warning)}")
    console.print()
    if many_schemas:
        console.print(escape(schemas_line(report)))
    style = "green" if report.in_sync else "bold red"
    console.print(f"[{style}]{escape(summary_line(report))}[/{style}]")
    return buffer.getvalue()

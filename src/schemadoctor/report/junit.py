"""JUnit XML: a test case per table, a failure per finding at or above --fail-on."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from schemadoctor.findings import Finding, IgnoredFinding, Report
from schemadoctor.report.paths import cause_text, relative_path


def render_junit(report: Report, root: str | Path | None = None) -> str:
    """The report as one JUnit test suite; findings below --fail-on go to system-out."""
    return render_junit_many([report], root)


def render_junit_many(reports: Sequence[Report], root: str | Path | None = None) -> str:
    """One test suite per database checked, in one <testsuites> document."""
    suites = ElementTree.Element("testsuites", name="schemadoctor")
    tests = failures = 0
    for report in reports:
        suite = _suite(report, root, several=len(reports) > 1)
        tests += int(suite.get("tests", "0"))
        failures += int(suite.get("failures", "0"))
        suites.append(suite)
    suites.set("tests", str(tests))
    suites.set("failures", str(failures))
    ElementTree.indent(suites)
    body = ElementTree.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _suite(report: Report, root: str | Path | None, several: bool) -> ElementTree.Element:
    by_table: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_table[_table_name(finding)].append(finding)
    ignored_by_table: dict[str, list[IgnoredFinding]] = defaultdict(list)
    for ignored in report.ignored:
        ignored_by_table[_table_name(ignored.finding)].append(ignored)
    tables = sorted(set(report.tables) | set(by_table) | set(ignored_by_table))

    name = f"schemadoctor {report.url}" if several else f"schemadoctor ({report.dialect})"
    suite = ElementTree.Element("testsuite", name=name)
    properties = ElementTree.SubElement(suite, "properties")
    for key, value in (("database", report.url), ("fail_on", report.fail_on.value)):
        ElementTree.SubElement(properties, "property", name=key, value=value)
    failures = 0
    for table in tables:
        failures += _testcase(suite, report, table, by_table[table], ignored_by_table[table], root)
    suite.set("tests", str(len(tables)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    return suite


def _table_name(finding: Finding) -> str:
    return f"{finding.schema}.{finding.table}" if finding.schema else finding.table


def _testcase(
    suite: ElementTree.Element,
    report: Report,
    table: str,
    findings: list[Finding],
    ignored: list[IgnoredFinding],
    root: str | Path | None,
) -> int:
    schema, _, name = table.rpartition(".")
    case = ElementTree.SubElement(
        suite, "testcase", classname=f"schemadoctor.{schema or report.dialect}", name=name
    )
    located = next((f.location for f in findings if f.location), None)
    if located is not None:
        case.set("file", relative_path(located.path, root))
        case.set("line", str(located.line))

    failing = [f for f in findings if f.severity.at_least(report.fail_on)]
    for finding in failing:
        failure = ElementTree.SubElement(
            case, "failure", message=finding.message, type=finding.kind.value
        )
        failure.text = _details(finding, root)
    notes = [f"{f.severity.value}: {_details(f, root)}" for f in findings if f not in failing]
    notes += [f"ignored ({i.reason}): {_details(i.finding, root)}" for i in ignored]
    if notes:
        ElementTree.SubElement(case, "system-out").text = "\n\n".join(notes)
    return len(failing)


def _details(finding: Finding, root: str | Path | None) -> str:
    expected = finding.expected if finding.expected is not None else "(absent)"
    actual = finding.actual if finding.actual is not None else "(absent)"
    lines = [
        f"{finding.kind.value} {finding.subject}: {finding.message}",
        f"models: {expected}   database: {actual}",
    ]
    cause = cause_text(finding)
    if cause:
        lines.append(f"cause: {cause}")
    lines.append(f"hint: {finding.hint}")
    if finding.location:
        lines.append(f"at {relative_path(finding.location.path, root)}:{finding.location.line}")
    return "\n".join(lines)

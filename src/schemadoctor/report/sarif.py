"""SARIF 2.1.0 for code scanning: one rule per finding kind, results at the model's line."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from schemadoctor import __version__
from schemadoctor.findings import Finding, Kind, Report, Severity
from schemadoctor.report.paths import anchor, relative_path, subject

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/schemadoctor/"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_RULE_TEXT = {
    Kind.MISSING_TABLE: "A table of the models does not exist in the database.",
    Kind.EXTRA_TABLE: "A table of the database is not in the models.",
    Kind.MISSING_COLUMN: "A column of the models does not exist in the database.",
    Kind.EXTRA_COLUMN: "A column of the database is not in the models.",
    Kind.TYPE_MISMATCH: "A column's type differs between the models and the database.",
    Kind.NULLABILITY_MISMATCH: "A column is nullable on one side and NOT NULL on the other.",
    Kind.DEFAULT_MISMATCH: "A column's server default differs between the two sides.",
    Kind.PRIMARY_KEY_MISMATCH: "The primary key's columns differ between the two sides.",
    Kind.MISSING_INDEX: "An index of the models does not exist in the database.",
    Kind.EXTRA_INDEX: "An index of the database is not in the models.",
    Kind.MISSING_UNIQUE_CONSTRAINT: "A unique constraint of the models is not in the database.",
    Kind.EXTRA_UNIQUE_CONSTRAINT: "A unique constraint of the database is not in the models.",
    Kind.MISSING_FOREIGN_KEY: "A foreign key of the models does not exist in the database.",
    Kind.EXTRA_FOREIGN_KEY: "A foreign key of the database is not in the models.",
    Kind.ENUM_MISMATCH: "An enumerated type's labels differ between the two sides.",
}


def render_sarif(report: Report, root: str | Path | None = None) -> str:
    """The report as a SARIF 2.1.0 log; paths are relative to ``root`` (the repository)."""
    return render_sarif_many([report], root)


def render_sarif_many(reports: Sequence[Report], root: str | Path | None = None) -> str:
    """Several databases' reports as one SARIF run (code scanning wants one run per tool).

    With several databases each result names its database, and its fingerprint includes it.
    """
    several = len(reports) > 1
    results = []
    for report in reports:
        database = report.url if several else None
        results += [_result(finding, report, root, database) for finding in report.findings]
        for ignored in report.ignored:
            result = _result(ignored.finding, report, root, database)
            result["suppressions"] = [{"kind": "external", "justification": ignored.reason}]
            results.append(result)
    properties: dict[str, Any] = {"database": reports[0].url, "dialect": reports[0].dialect}
    if several:
        properties = {"databases": [{"url": r.url, "dialect": r.dialect} for r in reports]}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": _driver()},
                "invocations": [_invocation(reports)],
                "results": results,
                "properties": properties,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _driver() -> dict[str, Any]:
    return {
        "name": "schemadoctor",
        "version": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(kind) for kind in Kind],
    }


def _rule(kind: Kind) -> dict[str, Any]:
    return {
        "id": kind.value,
        "name": "".join(part.capitalize() for part in kind.value.split("_")),
        "shortDescription": {"text": _RULE_TEXT[kind]},
        "help": {
            "text": f"{_RULE_TEXT[kind]} Run schemadoctor check to see both sides and a hint."
        },
        "properties": {"tags": ["schema-drift", "database"]},
    }


def _invocation(reports: Sequence[Report]) -> dict[str, Any]:
    several = len(reports) > 1
    return {
        "executionSuccessful": True,
        "exitCode": max(report.exit_code for report in reports),
        "toolExecutionNotifications": [
            {"level": "note", "message": {"text": f"{r.url}: {w}" if several else w}}
            for r in reports
            for w in r.warnings
        ],
    }


def _result(
    finding: Finding, report: Report, root: str | Path | None, database: str | None = None
) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [
            {
                "fullyQualifiedName": subject(finding),
                "kind": "member" if finding.column else "type",
            }
        ]
    }
    where = anchor(finding, report)
    if where is not None:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": _uri(where.path, root)},
            "region": {"startLine": where.line},
        }
    properties = {
        key: value
        for key, value in finding.to_dict().items()
        if key not in ("kind", "message", "location") and value is not None
    }
    if database:
        properties["database"] = database
    return {
        "ruleId": finding.kind.value,
        "ruleIndex": list(Kind).index(finding.kind),
        "level": _LEVELS[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [location],
        "partialFingerprints": {"schemadoctorFinding/v1": _fingerprint(finding, database)},
        "properties": properties,
    }


def _uri(path: str, root: str | Path | None) -> str:
    relative = relative_path(path, root)
    # A file outside the repository gets an absolute file: URI, which SARIF viewers open.
    return Path(relative).as_uri() if relative.startswith("/") else relative


def _message(finding: Finding) -> str:
    expected = finding.expected if finding.expected is not None else "(absent)"
    actual = finding.actual if finding.actual is not None else "(absent)"
    return f"{finding.message} Models: {expected}; database: {actual}. Hint: {finding.hint}"


def _fingerprint(finding: Finding, database: str | None) -> str:
    # Stable across runs and line moves, so code scanning tracks one alert per drifted object.
    parts = [finding.kind.value, finding.schema, finding.table, finding.column, finding.name]
    if database:
        parts.append(database)
    key = "|".join(part or "" for part in parts)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

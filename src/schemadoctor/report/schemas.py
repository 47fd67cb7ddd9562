"""Per-schema verdicts for reports over many schemas (tenants): which are in sync, which drift."""

from __future__ import annotations

from dataclasses import dataclass

from schemadoctor.findings import Report


@dataclass(frozen=True)
class SchemaSummary:
    """How many of the checked schemas are in sync, and which ones drifted."""

    checked: int
    in_sync: int
    drifted: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """As JSON-ready data (the report's ``schema_summary``)."""
        return {"checked": self.checked, "in_sync": self.in_sync, "drifted": list(self.drifted)}


def summarize_schemas(report: Report) -> SchemaSummary:
    """The checked schemas' verdicts: a schema drifted when a finding in it reaches fail-on."""
    checked = [schema for schema in report.schemas if schema]
    failing = {finding.schema for finding in report.failing}
    drifted = tuple(schema for schema in checked if schema in failing)
    return SchemaSummary(checked=len(checked), in_sync=len(checked) - len(drifted), drifted=drifted)


def schemas_line(report: Report) -> str:
    """One sentence for a report over several schemas, naming each schema that drifted."""
    summary = summarize_schemas(report)
    line = f"{summary.in_sync} of {summary.checked} schemas in sync"
    if summary.drifted:
        line += f"; drift in {', '.join(summary.drifted)}"
    return line + "."

"""Source paths as CI tools want them: relative to the repository root, with forward slashes."""

from __future__ import annotations

from pathlib import Path

from schemadoctor.findings import Finding, Report
from schemadoctor.schema import Location


def relative_path(path: str, root: str | Path | None) -> str:
    """``path`` relative to ``root`` when it lies inside it; else the absolute path."""
    resolved = Path(path).resolve()
    if root is not None:
        try:
            return resolved.relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return resolved.as_posix()


def display_path(path: str, cwd: str | Path | None = None) -> str:
    """For people: ``path`` relative to the current directory when inside it, else as given."""
    base = Path(cwd) if cwd is not None else Path.cwd()
    try:
        return Path(path).resolve().relative_to(base.resolve()).as_posix()
    except (ValueError, OSError):
        return path


def display_location(location: Location) -> str:
    """``path:line``, the path shown as by display_path."""
    return f"{display_path(location.path)}:{location.line}"


def anchor(finding: Finding, report: Report) -> Location | None:
    """Where a finding is shown in the source: its model's line, else the models' file.

    A table that only the database has is defined nowhere in the models; tools that need a
    file (code scanning rejects a result without one) get the models' main file, line 1.
    """
    if finding.location is not None:
        return finding.location
    if report.models_path:
        return Location(report.models_path, 1)
    # A MetaData given to the API has no module: use the file another finding points at.
    located = next((f.location for f in report.findings if f.location), None)
    return Location(located.path, 1) if located else None


def subject(finding: Finding) -> str:
    """The object a finding is about, schema-qualified: schema.table[.column|name]."""
    parts = [finding.schema] if finding.schema else []
    return ".".join([*parts, finding.subject])


def repository_root(start: str | Path | None = None, environ: dict[str, str] | None = None) -> Path:
    """The root that CI tools resolve paths against: $GITHUB_WORKSPACE, the git root, or cwd."""
    import os

    environ = dict(os.environ) if environ is None else environ
    if environ.get("GITHUB_WORKSPACE"):
        return Path(environ["GITHUB_WORKSPACE"])
    folder = Path(start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def cause_text(finding: Finding) -> str | None:
    """The finding's diagnosed cause as a user would say it, with its detail; None if unknown."""
    if not finding.cause:
        return None
    from schemadoctor.findings import Cause

    label = Cause(finding.cause).label
    return f"{label}: {finding.cause_detail}" if finding.cause_detail else label

"""schemadoctor: find the drift between SQLAlchemy models and the live database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from schemadoctor.api import check
    from schemadoctor.findings import Finding, Kind, Report, Severity

__all__ = ["Finding", "Kind", "Report", "Severity", "__version__", "check"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that `schemadoctor --help` does not pay for SQLAlchemy.
    if name == "check":
        from schemadoctor.api import check

        return check
    if name in ("Finding", "Kind", "Report", "Severity"):
        from schemadoctor import findings

        return getattr(findings, name)
    raise AttributeError(f"module 'schemadoctor' has no attribute {name!r}")

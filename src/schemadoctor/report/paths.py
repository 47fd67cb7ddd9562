"""How a model's file is shown: relative to the current directory when it lies inside it."""

from __future__ import annotations

import os
from pathlib import Path

from schemadoctor.schema import Location


def display_path(path: str, cwd: str | None = None) -> str:
    """``path`` relative to ``cwd`` (default: the current directory) when inside it."""
    base = Path(cwd or os.getcwd()).resolve()
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except (ValueError, OSError):
        return path


def display_location(location: Location) -> str:
    """``path:line``, the path shown as by display_path."""
    return f"{display_path(location.path)}:{location.line}"

"""Helpers for the fix tests: write a models file, build the drifted database, read rows."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path
from typing import Any

from click.testing import Result
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine


def write_models(tmp_path: Path, source: str) -> str:
    """Write a models module under a unique name (imports are cached) and return its path."""
    path = tmp_path / f"models_{uuid.uuid4().hex[:10]}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return str(path)


def build(engine: Engine, metadata: MetaData, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Create the database's (old) tables and insert rows."""
    metadata.create_all(engine)
    with engine.begin() as connection:
        for table_name, table_rows in rows.items():
            connection.execute(metadata.tables[table_name].insert(), table_rows)


def read_rows(engine: Engine, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    """The rows of a table (selected columns), ordered by the first one."""
    metadata = MetaData()
    metadata.reflect(engine, only=[table])
    reflected = metadata.tables[table]
    statement = select(*(reflected.c[c] for c in columns)).order_by(reflected.c[columns[0]])
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(statement)]


def kinds(result: Result) -> list[str]:
    """The finding kinds of a JSON check report."""
    return sorted({finding["kind"] for finding in json.loads(result.stdout)["findings"]})

"""The real-world corpus schemas (Pagila, Sakila, Chinook) and how to load their scripts."""

from __future__ import annotations

import re
from pathlib import Path

# A copy of the shared corpus DDL (see its SOURCES.md), so that a fresh clone runs these tests.
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def mysql_statements(script: str) -> list[str]:
    """The statements of a mysql-client script, without its DELIMITER blocks.

    DELIMITER is a command of the mysql client, not SQL: the server cannot run the triggers
    and routines written between DELIMITER lines, and they hold nothing the check compares.
    """
    statements: list[str] = []
    buffer: list[str] = []
    delimiter = ";"
    for line in script.splitlines():
        stripped = line.strip()
        if stripped.upper().startswith("DELIMITER"):
            delimiter = stripped.split()[1]
            buffer = []
            continue
        if delimiter != ";":
            continue
        buffer.append(line)
        if stripped.endswith(";"):
            statement = "\n".join(buffer).strip().rstrip(";")
            buffer = []
            if re.sub(r"/\*.*?\*/|--[^\n]*", "", statement, flags=re.DOTALL).strip():
                statements.append(statement)
    return statements


def sakila_statements() -> list[str]:
    """Sakila's statements, to run inside whatever database the test created."""
    script = (CORPUS / "sakila-mysql-schema.sql").read_text()
    script = re.sub(r"(?im)^(DROP SCHEMA|CREATE SCHEMA|USE) .*$", "", script)
    return mysql_statements(script.replace("sakila.", ""))

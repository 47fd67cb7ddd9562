"""Result rows as the driver's plain tuples, for the catalog readers' large results."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import CursorResult


def plain_rows(result: CursorResult[Any]) -> list[Any]:
    """Every row of ``result``, fetched straight from the DBAPI cursor.

    Building SQLAlchemy ``Row`` objects costs more than the catalog query itself at thousands of
    tables; the statement still runs through the connection, so events and errors are as usual.
    """
    try:
        return list(result.cursor.fetchall()) if result.cursor is not None else []
    finally:
        result.close()

"""Synthetic models for the benchmark: N declarative classes with a realistic mix of columns.

The generator is deterministic: the same N gives the same source text, so a database built
from it once can be reused by later runs. Changing this file changes its fingerprint and
therefore the names of the cached databases (see ``fingerprint``).

Per table, on average: 21 columns (integers, strings, text, booleans, timestamps, dates,
numerics, floats, JSON, an enum), 1.2 foreign keys (each indexed), 0.5 unique constraints,
0.4 composite indexes and 0.3 single-column indexes — close to the 3,000-table application in
issue 6 (62k columns, 8k indexes, 3.5k foreign keys).
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

WORDS = (
    "account",
    "order",
    "invoice",
    "payment",
    "customer",
    "product",
    "shipment",
    "ticket",
    "event",
    "document",
    "message",
    "report",
    "contract",
    "asset",
    "booking",
    "review",
)

# (attribute suffix, annotation, mapped_column arguments); {n} is a per-column length.
PALETTE = (
    ("name", "str", "String({n}), nullable=False"),
    ("label", "str | None", "String({n})"),
    ("code", "str", "String(32), nullable=False"),
    ("notes", "str | None", "Text"),
    ("quantity", "int", "Integer, nullable=False, server_default=text('0')"),
    ("counter", "int | None", "BigInteger"),
    ("active", "bool", "Boolean, nullable=False, server_default=false()"),
    ("seen_at", "datetime | None", "DateTime(timezone=True)"),
    ("due_on", "date | None", "Date"),
    ("amount", "Decimal | None", "Numeric(12, 2)"),
    ("ratio", "float | None", "Float"),
    ("payload", "dict | None", "JSON"),
    ("status", "str", "STATUS, nullable=False, server_default='draft'"),
    ("email", "str | None", "String(320)"),
)

# Text and JSON columns cannot take a plain B-tree index on every dialect.
UNINDEXABLE = ("notes", "payload")

HEADER = '''"""Synthetic models for the schemadoctor benchmark: {count} tables (generated)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUS = Enum("draft", "active", "archived", name="bench_status")


class Base(DeclarativeBase):
    pass
'''


def fingerprint() -> str:
    """A short hash of this generator: cached databases are named after it."""
    return hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:8]


def table_name(position: int) -> str:
    """The name of the table at ``position``."""
    return f"{WORDS[position % len(WORDS)]}_{position:04d}"


def model_source(count: int) -> str:
    """The source of a models module with ``count`` tables."""
    parts = [HEADER.format(count=count)]
    for position in range(count):
        parts.append(_class_source(position))
    return "\n".join(parts)


def _class_source(position: int) -> str:
    rng = random.Random(position * 7919 + 17)
    name = table_name(position)
    lines = [f"\n\nclass T{position:04d}(Base):", f'    __tablename__ = "{name}"']
    columns: list[str] = []
    table_args: list[str] = []
    body = ["    id: Mapped[int] = mapped_column(Integer, primary_key=True)"]

    references = _references(rng, position)
    for number, referred in enumerate(references):
        ondelete = "CASCADE" if number == 0 else "SET NULL"
        annotation = "int" if number == 0 else "int | None"
        attribute = f"{table_name(referred)}_id"
        body.append(
            f"    {attribute}: Mapped[{annotation}] = mapped_column(\n"
            f'        ForeignKey("{table_name(referred)}.id", ondelete="{ondelete}"), index=True\n'
            "    )"
        )

    for number in range(rng.randint(12, 24)):
        suffix, annotation, arguments = PALETTE[rng.randrange(len(PALETTE))]
        attribute = f"{suffix}_{number}"
        arguments = arguments.format(n=rng.choice((40, 80, 120, 255)))
        indexable = suffix not in UNINDEXABLE
        index = ", index=True" if indexable and rng.random() < 0.02 else ""
        body.append(f"    {attribute}: Mapped[{annotation}] = mapped_column({arguments}{index})")
        if indexable:
            columns.append(attribute)
    while len(columns) < 3:
        attribute = f"key_{len(columns)}"
        body.append(f"    {attribute}: Mapped[str] = mapped_column(String(40), nullable=False)")
        columns.append(attribute)
    body.append(
        "    created_at: Mapped[datetime] = mapped_column(\n"
        "        DateTime(timezone=True), nullable=False, server_default=func.now()\n"
        "    )"
    )
    body.append("    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))")

    if rng.random() < 0.5:
        table_args.append(f'UniqueConstraint("{columns[0]}", name="uq_{name}_{columns[0]}")')
    if rng.random() < 0.4:
        first, second = columns[1], columns[2]
        table_args.append(f'Index("ix_{name}_{first}_{second}", "{first}", "{second}")')
    if table_args:
        lines.append(f"    __table_args__ = ({', '.join(table_args)},)")
    lines.append("")
    return "\n".join(lines + body) + "\n"


def _references(rng: random.Random, position: int) -> list[int]:
    if position == 0:
        return []
    low = max(0, position - 50)
    first = rng.randrange(low, position)
    if rng.random() < 0.2 and position > 1:
        second = rng.randrange(low, position)
        if second != first:
            return [first, second]
    return [first]

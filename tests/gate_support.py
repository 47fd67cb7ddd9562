"""Shared by the tests/test_gate_*.py files: a small models file whose lines the tests know."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType

from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.engine import Engine

APP_MODELS = '''\
"""Models written by a test."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100))
    nickname: Mapped[str | None] = mapped_column(String(30))


class Ledger(Base):
    __tablename__ = "ledgers"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
'''


def write_models(folder: Path, source: str = APP_MODELS) -> Path:
    """The models source in a file with a unique module name (modules are cached by name)."""
    path = folder / f"gate_models_{uuid.uuid4().hex[:10]}.py"
    path.write_text(source, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the first line of ``path`` that contains ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {path}")


def import_file(path: Path) -> ModuleType:
    """Import a models file under a fresh module name (SQLAlchemy resolves annotations there)."""
    name = f"gate_import_{uuid.uuid4().hex[:10]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def build_drifted_database(engine: Engine) -> None:
    """accounts without nickname, no ledgers, and a legacy table the models do not know."""
    metadata = MetaData()
    Table(
        "accounts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(100), nullable=False),
    )
    Table("legacy", metadata, Column("id", Integer, primary_key=True))
    metadata.create_all(engine)


def snapshot_of(url: str):
    """A snapshot of the database at ``url``, written to JSON and read back."""
    from schemadoctor.connect import open_database
    from schemadoctor.snapshot import render_snapshot, snapshot_from_data, take_snapshot

    database = open_database(url)
    try:
        snapshot = take_snapshot(database)
    finally:
        database.dispose()
    return snapshot_from_data(json.loads(render_snapshot(snapshot)))

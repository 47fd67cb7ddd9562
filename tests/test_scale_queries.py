"""A whole check sends as many statements for 10 tables as for 50, and for 1 schema as for 30."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, event, text

from schemadoctor.api import check, collector_paused
from schemadoctor.connect import open_database


def _models(count: int) -> MetaData:
    """``count`` tables, each with a key, a foreign key, a unique constraint and an index."""
    metadata = MetaData()
    for number in range(count):
        columns: list[object] = [
            Column("id", Integer, primary_key=True),
            Column("name", String(40), nullable=False),
            Column("code", String(8), unique=True),
        ]
        if number:
            columns.append(Column("parent_id", ForeignKey(f"t{number - 1}.id")))
        Table(f"t{number}", metadata, *columns, Index(f"ix_t{number}_name", "name"))
    return metadata


def _statements_of_check(url: str, metadata: MetaData, schemas: tuple[str, ...] = ()) -> int:
    database = open_database(url)
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    report = check(metadata, database, schemas=schemas)
    database.dispose()
    assert report.findings == [], report.findings
    return len(statements)


def test_check_statements_do_not_grow_with_tables(db_url, writable_engine):
    counts = []
    for count in (10, 50):
        metadata = _models(count)
        engine = writable_engine(db_url)
        metadata.drop_all(engine)
        metadata.create_all(engine)

        counts.append(_statements_of_check(db_url, metadata))

    assert counts[0] == counts[1]
    assert counts[0] <= 15


@pytest.mark.postgresql
def test_check_statements_do_not_grow_with_schemas(postgresql_url, writable_engine):
    metadata = _models(3)
    engine = writable_engine(postgresql_url)
    tenants = [f"tenant_{number:02d}" for number in range(30)]
    with engine.begin() as connection:
        for tenant in tenants:
            connection.execute(text(f"CREATE SCHEMA {tenant}"))
            metadata.create_all(connection.execution_options(schema_translate_map={None: tenant}))

    one = _statements_of_check(postgresql_url, metadata, ("tenant_00",))
    many = _statements_of_check(postgresql_url, metadata, ("tenant_*",))

    assert one == many


def test_the_collector_is_paused_during_a_check_and_restored_after():
    seen = []
    with collector_paused():
        seen.append(gc.isenabled())
        with collector_paused():
            seen.append(gc.isenabled())
        seen.append(gc.isenabled())
    seen.append(gc.isenabled())

    gc.disable()
    try:
        with collector_paused():
            pass
        seen.append(gc.isenabled())
    finally:
        gc.enable()

    assert seen == [False, False, False, True, False]

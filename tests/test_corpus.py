"""Real-world schemas nobody on this project wrote: Pagila, Sakila and Chinook.

Each corpus DDL is loaded into a fresh database, models are taken from it with
``MetaData.reflect()`` before any change (a pristine copy), and the check must find nothing at
error or warning. Then realistic drifts are applied and exactly those are reported. Constructs
the check does not compare are named in the report's warnings, which the tests pin.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from corpus_support import CORPUS, sakila_statements
from schemadoctor import check
from schemadoctor.connect import parse_url

Expected = tuple[str, str, str, str | None]


def _load(url: str, writable_engine) -> None:
    engine = writable_engine(url)
    dialect = engine.dialect.name
    with engine.begin() as connection:
        if dialect == "postgresql":
            # pg_dump output: one script the server runs as is.
            connection.exec_driver_sql((CORPUS / "pagila-schema.sql").read_text())
        elif dialect == "sqlite":
            driver = connection.connection.driver_connection
            driver.executescript((CORPUS / "chinook-sqlite-schema.sql").read_text())  # type: ignore[union-attr]
        else:
            # The test's own database replaces the script's "sakila" schema.
            for statement in sakila_statements():
                connection.exec_driver_sql(statement.replace("%", "%%"))
    # Pagila's script empties search_path on its connection: never reuse that connection.
    engine.dispose()


def _reflect(url: str) -> sa.MetaData:
    engine = sa.create_engine(parse_url(url))
    metadata = sa.MetaData()
    metadata.reflect(engine)
    engine.dispose()
    return metadata


def _drift(url: str, statements: tuple[str, ...]) -> None:
    engine = sa.create_engine(parse_url(url))
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def _keys(report) -> list[Expected]:
    return sorted(
        (f.kind.value, f.severity.value, f.table, f.column or f.name) for f in report.findings
    )


PAGILA_WARNINGS = ["Index film_fulltext_idx on film: using=gist is not compared; its columns are."]
SAKILA_WARNINGS = [
    "Index idx_title_description on film_text: prefix=FULLTEXT is not compared; its columns are."
]


@pytest.mark.postgresql
def test_pagila_in_sync(postgresql_url, writable_engine):
    _load(postgresql_url, writable_engine)
    models = _reflect(postgresql_url)

    report = check(models, postgresql_url, fail_on="info")

    # Views, triggers, rules and functions are not tables: they are neither models nor drift.
    assert _keys(report) == []
    assert report.warnings == PAGILA_WARNINGS
    assert {"payment_p2022_01", "film"} <= set(models.tables)


PAGILA_DRIFTS = (
    "ALTER TABLE public.customer DROP COLUMN email",
    "DROP INDEX public.idx_title",
    "CREATE TABLE public.audit_log (id serial PRIMARY KEY, note text)",
    "ALTER TYPE public.mpaa_rating RENAME VALUE 'NC-17' TO 'NC17'",
    "ALTER TABLE public.film ALTER COLUMN special_features TYPE varchar(20)[]",
    "ALTER TABLE public.film ALTER COLUMN fulltext DROP NOT NULL",
    "ALTER TABLE public.film_actor DROP CONSTRAINT film_actor_actor_id_fkey",
    "DROP INDEX public.idx_fk_payment_p2022_01_staff_id",
    # A column added to the partitioned table reaches every partition.
    "ALTER TABLE public.payment ADD COLUMN note text",
)


@pytest.mark.postgresql
def test_pagila_drift_is_found_exactly(postgresql_url, writable_engine):
    _load(postgresql_url, writable_engine)
    models = _reflect(postgresql_url)
    _drift(postgresql_url, PAGILA_DRIFTS)

    report = check(models, postgresql_url)

    partitions = ["payment"] + [f"payment_p2022_0{month}" for month in range(1, 8)]
    assert _keys(report) == sorted(
        [
            ("missing_column", "error", "customer", "email"),
            ("missing_index", "warning", "film", "title"),
            ("extra_table", "info", "audit_log", None),
            ("enum_mismatch", "error", "film", "rating"),
            ("type_mismatch", "warning", "film", "special_features"),
            ("nullability_mismatch", "warning", "film", "fulltext"),
            ("missing_foreign_key", "warning", "film_actor", "actor_id"),
            ("missing_index", "warning", "payment_p2022_01", "staff_id"),
        ]
        + [("extra_column", "info", table, "note") for table in partitions]
    )
    (narrowed,) = [f for f in report.findings if f.kind.value == "type_mismatch"]
    assert narrowed.details["relation"] == "narrower"
    (enum,) = [f for f in report.findings if f.kind.value == "enum_mismatch"]
    assert enum.details["missing_labels"] == ["NC-17"]
    assert report.exit_code == 1


@pytest.mark.mysql
def test_sakila_in_sync(mysql_url, writable_engine):
    _load(mysql_url, writable_engine)
    models = _reflect(mysql_url)

    report = check(models, mysql_url, fail_on="info")

    assert _keys(report) == []
    assert report.warnings == SAKILA_WARNINGS
    assert report.exit_code == 0


SAKILA_DRIFTS = (
    "ALTER TABLE customer DROP COLUMN email",
    "DROP INDEX idx_title ON film",
    "ALTER TABLE film MODIFY title VARCHAR(128) NOT NULL",
    "ALTER TABLE film MODIFY rating ENUM('G','PG','PG-13','R') DEFAULT 'G'",
    "ALTER TABLE film MODIFY special_features SET('Trailers','Commentaries','Deleted Scenes',"
    "'Behind the Scenes','Bloopers') DEFAULT NULL",
    "ALTER TABLE film ALTER rental_duration SET DEFAULT 5",
    "ALTER TABLE actor MODIFY first_name VARCHAR(45) NULL",
    "CREATE TABLE audit_log (id INT PRIMARY KEY, note TEXT)",
)


@pytest.mark.mysql
def test_sakila_drift_is_found_exactly(mysql_url, writable_engine):
    _load(mysql_url, writable_engine)
    models = _reflect(mysql_url)
    _drift(mysql_url, SAKILA_DRIFTS)

    report = check(models, mysql_url)

    assert _keys(report) == sorted(
        [
            ("missing_column", "error", "customer", "email"),
            ("missing_index", "warning", "film", "title"),
            ("type_mismatch", "warning", "film", "title"),
            ("enum_mismatch", "error", "film", "rating"),
            ("enum_mismatch", "warning", "film", "special_features"),
            ("default_mismatch", "warning", "film", "rental_duration"),
            ("nullability_mismatch", "warning", "actor", "first_name"),
            ("extra_table", "info", "audit_log", None),
        ]
    )
    assert report.exit_code == 1


ON_UPDATE = sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")


def _sakila_models() -> sa.MetaData:
    """Models as an application would write them, mostly with generic types."""
    metadata = sa.MetaData()
    sa.Table(
        "language",
        metadata,
        sa.Column("language_id", mysql.INTEGER(unsigned=True), primary_key=True),
        sa.Column("name", sa.CHAR(20), nullable=False),
        sa.Column("last_update", sa.TIMESTAMP, nullable=False, server_default=ON_UPDATE),
    )
    sa.Table(
        "actor",
        metadata,
        # INT UNSIGNED in the database: the sign alone is an info finding.
        sa.Column("actor_id", sa.Integer, primary_key=True),
        sa.Column("first_name", sa.String(45), nullable=False),
        sa.Column("last_name", sa.String(45), nullable=False),
        sa.Column("last_update", sa.TIMESTAMP, nullable=False, server_default=ON_UPDATE),
        sa.Index("idx_actor_last_name", "last_name"),
    )
    sa.Table(
        "category",
        metadata,
        sa.Column("category_id", mysql.INTEGER(unsigned=True), primary_key=True),
        sa.Column("name", sa.String(25), nullable=False),
        # Spelled as now(): the database reports current_timestamp().
        sa.Column(
            "last_update",
            sa.TIMESTAMP,
            nullable=False,
            server_default=sa.text("now() ON UPDATE now()"),
        ),
    )
    return metadata


@pytest.mark.mysql
def test_sakila_hand_written_models(mysql_url, writable_engine):
    _load(mysql_url, writable_engine)

    report = check(_sakila_models(), mysql_url)

    keys = _keys(report)
    assert [key for key in keys if key[1] != "info"] == []
    assert ("type_mismatch", "info", "actor", "actor_id") in keys
    assert report.exit_code == 0


def test_chinook_in_sync(sqlite_url, writable_engine):
    _load(sqlite_url, writable_engine)
    models = _reflect(sqlite_url)

    report = check(models, sqlite_url, fail_on="info")

    assert _keys(report) == []
    assert report.warnings == []


CHINOOK_DRIFTS = (
    "DROP INDEX IFK_TrackAlbumId",
    "ALTER TABLE Customer DROP COLUMN Fax",
    "ALTER TABLE Artist ADD COLUMN Country NVARCHAR(40)",
    "CREATE TABLE AuditLog (Id INTEGER PRIMARY KEY, Note TEXT)",
    # SQLite cannot alter a column: rebuild the table as migration tools do.
    "DROP TABLE Genre",
    "CREATE TABLE Genre (GenreId INTEGER NOT NULL, Name NVARCHAR(60), "
    "CONSTRAINT PK_Genre PRIMARY KEY (GenreId))",
    "DROP TABLE MediaType",
    "CREATE TABLE MediaType (MediaTypeId INTEGER NOT NULL, Name TEXT NOT NULL, "
    "CONSTRAINT PK_MediaType PRIMARY KEY (MediaTypeId))",
)


def test_chinook_drift_is_found_exactly(sqlite_url, writable_engine):
    _load(sqlite_url, writable_engine)
    models = _reflect(sqlite_url)
    _drift(sqlite_url, CHINOOK_DRIFTS)

    report = check(models, sqlite_url)

    assert _keys(report) == sorted(
        [
            ("missing_index", "warning", "Track", "AlbumId"),
            ("missing_column", "error", "Customer", "Fax"),
            ("extra_column", "info", "Artist", "Country"),
            ("extra_table", "info", "AuditLog", None),
            ("type_mismatch", "warning", "Genre", "Name"),
            ("type_mismatch", "warning", "MediaType", "Name"),
            # NOT NULL without a default, nullable in the model: inserts without it fail.
            ("nullability_mismatch", "error", "MediaType", "Name"),
        ]
    )
    relations = {
        f.table: f.details["relation"] for f in report.findings if f.kind.value == "type_mismatch"
    }
    assert relations == {"Genre": "narrower", "MediaType": "wider"}


def _chinook_models() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "Artist",
        metadata,
        sa.Column("ArtistId", sa.Integer, primary_key=True),
        sa.Column("Name", sa.Unicode(120)),
    )
    sa.Table(
        "Album",
        metadata,
        sa.Column("AlbumId", sa.Integer, primary_key=True),
        sa.Column("Title", sa.String(160), nullable=False),
        sa.Column("ArtistId", sa.ForeignKey("Artist.ArtistId"), nullable=False, index=True),
    )
    sa.Table(
        "InvoiceLine",
        metadata,
        sa.Column("InvoiceLineId", sa.Integer, primary_key=True),
        sa.Column("InvoiceId", sa.Integer, sa.ForeignKey("Invoice.InvoiceId"), nullable=False),
        sa.Column("TrackId", sa.Integer, sa.ForeignKey("Track.TrackId"), nullable=False),
        sa.Column("UnitPrice", sa.Numeric(10, 2), nullable=False),
        sa.Column("Quantity", sa.Integer, nullable=False),
        sa.Index("IFK_InvoiceLineInvoiceId", "InvoiceId"),
        sa.Index("IFK_InvoiceLineTrackId", "TrackId"),
    )
    return metadata


def test_chinook_hand_written_models(sqlite_url, writable_engine):
    _load(sqlite_url, writable_engine)
    metadata = _chinook_models()

    report = check(metadata, sqlite_url)

    # Album's index is IFK_AlbumArtistId in the database and ix_Album_ArtistId in the model:
    # the same definition under another name is not drift. Unmapped columns are info.
    assert [key for key in _keys(report) if key[1] != "info"] == []
    assert report.exit_code == 0
